import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { InputError } from "../../src/util/errors.js";
import { formatMetadata, formatMetadataJsonl, metadataStats, parseMetadataJsonl, readMetadataFile } from "../../src/geneval/metadata.js";
import { pyJsonDumps } from "../../src/util/pyjson.js";
import { METADATA_FILE, OBJECT_NAMES_FILE } from "./fixtures.js";

const text = readFileSync(METADATA_FILE, "utf8");
const classes = readFileSync(OBJECT_NAMES_FILE, "utf8").split("\n").filter((l) => l !== "");

/** GenEval's line 7 with one field replaced; the error must point at line 7. */
function withLine7(line: string): string {
  const lines = text.split("\n");
  lines[6] = line;
  return lines.join("\n");
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    return e.message;
  }
  assert.fail("expected an error");
}

describe("GenEval's metadata file", () => {
  const metas = parseMetadataJsonl(text, { classes });

  it("round-trips all 553 lines byte for byte", () => {
    assert.equal(metas.length, 553);
    assert.equal(formatMetadataJsonl(metas), text);
    const lines = text.split("\n");
    metas.forEach((m, i) => assert.equal(formatMetadata(m), lines[i], `line ${i + 1}`));
  });

  it("has GenEval's counts per tag", () => {
    assert.deepEqual(metadataStats(metas), {
      total: 553,
      by_tag: { single_object: 80, two_object: 99, counting: 80, colors: 94, position: 100, color_attr: 100 },
    });
    assert.equal(JSON.stringify(metadataStats(readMetadataFile(METADATA_FILE))), '{"total":553,"by_tag":{"single_object":80,"two_object":99,"counting":80,"colors":94,"position":100,"color_attr":100}}');
  });

  it("reads positions as [relation, group] and counting excludes", () => {
    const pos = metas.find((m) => m.tag === "position");
    assert.deepEqual(pos?.include[1].position, ["right of", 0]);
    const counting = metas.find((m) => m.tag === "counting");
    assert.deepEqual(counting?.exclude, [{ class: "clock", count: 3 }]);
  });
});

describe("metadata errors", () => {
  const base = '{"tag": "colors", "include": [{"class": "car", "count": 1, "color": "pink"}], "prompt": "a photo of a pink car"}';

  it("accepts the base line", () => {
    assert.equal(parseMetadataJsonl(withLine7(base), { classes }).length, 553);
  });

  it("names an unknown colour, its line and the valid colours", () => {
    const msg = errorOf(() => parseMetadataJsonl(withLine7(base.replace('"pink"}', '"violet"}'))));
    assert.equal(msg, "unknown colour 'violet' in include[0] on line 7 (valid: red, orange, yellow, green, blue, purple, pink, brown, black, white)");
  });

  it("names an unknown class when a class list is given (and only then)", () => {
    const line = withLine7(base.replace('"car"', '"spaceship"'));
    assert.match(errorOf(() => parseMetadataJsonl(line, { classes })), /^unknown class 'spaceship' in include\[0\] on line 7 \(valid: person, bicycle, car, /);
    assert.equal(parseMetadataJsonl(line).length, 553);
  });

  it("names an unknown tag and the valid tags", () => {
    assert.equal(
      errorOf(() => parseMetadataJsonl(withLine7(base.replace('"colors"', '"colour"')))),
      "unknown tag 'colour' on line 7 (valid: single_object, two_object, counting, colors, position, color_attr)",
    );
  });

  it("reports bad JSON, missing and unknown fields with the line", () => {
    assert.match(errorOf(() => parseMetadataJsonl(withLine7("{not json"))), /^bad JSON on line 7: /);
    assert.equal(errorOf(() => parseMetadataJsonl(withLine7('{"tag": "colors", "include": [{"class": "car", "count": 1}]}'))), "missing field 'prompt' on line 7");
    assert.equal(
      errorOf(() => parseMetadataJsonl(withLine7(base.replace('"color"', '"colour"')))),
      "unknown field 'colour' in include[0] on line 7 (valid: class, count, color, position)",
    );
    assert.equal(errorOf(() => parseMetadataJsonl(withLine7("[1, 2]"))), "expected a JSON object, got [1,2] on line 7");
  });

  it("requires counts to be positive integers", () => {
    for (const bad of ["0", "-1", "1.5", '"2"']) {
      assert.match(errorOf(() => parseMetadataJsonl(withLine7(base.replace('"count": 1', `"count": ${bad}`)))), /^count must be a positive integer in include\[0\], got .* on line 7$/);
    }
    const exc = '{"tag": "counting", "include": [{"class": "car", "count": 2}], "exclude": [{"class": "car", "count": 0}], "prompt": "p"}';
    assert.equal(errorOf(() => parseMetadataJsonl(withLine7(exc))), "count must be a positive integer in exclude[0], got 0 on line 7");
  });

  it("checks relations and position group indices", () => {
    const pos = (rel: string, g: string) =>
      `{"tag": "position", "include": [{"class": "car", "count": 1}, {"class": "cat", "count": 1, "position": ["${rel}", ${g}]}], "prompt": "p"}`;
    assert.equal(parseMetadataJsonl(withLine7(pos("below", "0"))).length, 553);
    assert.equal(
      errorOf(() => parseMetadataJsonl(withLine7(pos("behind", "0")))),
      "unknown relation 'behind' in include[1] on line 7 (valid: left of, right of, above, below)",
    );
    assert.equal(errorOf(() => parseMetadataJsonl(withLine7(pos("below", "1")))), "position group index 1 out of range in include[1] on line 7 (valid: 0)");
    assert.equal(errorOf(() => parseMetadataJsonl(withLine7(pos("below", "-1")))), "position group index -1 out of range in include[1] on line 7 (valid: 0)");
    const first = '{"tag": "position", "include": [{"class": "car", "count": 1, "position": ["below", 0]}], "prompt": "p"}';
    assert.equal(errorOf(() => parseMetadataJsonl(withLine7(first))), "position in include[0] has no earlier include to refer to on line 7");
  });

  it("prefixes the file path when reading a file", () => {
    assert.match(errorOf(() => readMetadataFile("/nonexistent/meta.jsonl")), /^cannot read \/nonexistent\/meta.jsonl: /);
  });
});

describe("pyJsonDumps", () => {
  it("writes Python's separators and ASCII escapes", () => {
    assert.equal(pyJsonDumps({ a: [1, "b"], c: null, d: true }), '{"a": [1, "b"], "c": null, "d": true}');
    assert.equal(pyJsonDumps("café \u007f \u{1f600} \"q\" \\ \n"), '"caf\\u00e9 \\u007f \\ud83d\\ude00 \\"q\\" \\\\ \\n"');
  });

  it("leaves out undefined fields", () => {
    assert.equal(pyJsonDumps({ a: 1, b: undefined, c: 2 }), '{"a": 1, "c": 2}');
  });
});
