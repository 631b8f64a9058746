// The package as a user gets it: `npm pack` carries what the embedded default needs and no tests,
// and README's example program runs against the installed tarball through `import "imagecot"`.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fromRoot } from "../../src/util/root.js";

const work = mkdtempSync(join(tmpdir(), "imagecot-pack-"));
after(() => rmSync(work, { recursive: true, force: true }));

test("npm pack ships the library, models, suites and page, and no tests; README's program runs from the tarball", () => {
  const [pack] = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: fromRoot(), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })) as {
    filename: string;
    files: { path: string }[];
  }[];
  const files = pack.files.map((f) => f.path);
  for (const need of ["dist/src/index.js", "dist/src/index.d.ts", "dist/src/cli/main.js", "models/generator.safetensors", "models/tokenizer.safetensors", "suites/geneval-shapes.jsonl", "suites/geneval/LICENSE", "web/index.html", "native/binding.cc", "binding.gyp", "LICENSE"])
    assert.ok(files.includes(need), `the tarball carries ${need}`);
  for (const f of files) assert.ok(!/^(dist\/test|test|\.ci|bench|runs|results)\//.test(f), `no ${f} in the tarball`);

  const app = join(work, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  // installed by hand, offline: the tarball unpacked as node_modules/imagecot, its dependencies
  // those of this checkout, and the binding built here copied in rather than compiled again
  const installed = join(app, "node_modules", "imagecot");
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["-xzf", join(work, pack.filename), "-C", installed, "--strip-components=1"]);
  symlinkSync(fromRoot("node_modules"), join(installed, "node_modules"));
  mkdirSync(join(installed, "build", "Release"), { recursive: true });
  copyFileSync(fromRoot("build", "Release", "imagecot_torch.node"), join(installed, "build", "Release", "imagecot_torch.node"));
  copyFileSync(fromRoot("examples", "parm-and-score.mjs"), join(app, "program.mjs"));
  const out = JSON.parse(execFileSync("node", ["program.mjs"], { cwd: app, encoding: "utf8" })) as { correct: boolean; reasons: string[]; nfe: number; judgeCalls: number };
  assert.equal(typeof out.correct, "boolean");
  assert.ok(Array.isArray(out.reasons));
  assert.ok(out.nfe > 0 && out.nfe <= 4 * 18 * 2, `PARM's NFE for 4 paths: ${out.nfe}`);
  assert.ok(out.judgeCalls > 0);
  assert.ok(existsSync(join(app, "two-circles.png")));
});
