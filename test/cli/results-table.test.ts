// `results table --json` (or --json-out) is a results file like any other: it records how it was made.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

test("results table --json carries the command, commit, date and machine beside its rows", () => {
  const args = ["results", "table", "--baseline", "results/replay-none-k4.json", "results/orm-zero-shot-k4.json", "--json"];
  const r = spawnSync(process.execPath, [main, ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.command, `imagecot ${args.join(" ")}`);
  for (const k of ["git_commit", "date", "machine"]) assert.ok(out[k], `${k} recorded`);
  assert.deepEqual(out.rows.map((x: { file: string }) => x.file), ["results/replay-none-k4.json", "results/orm-zero-shot-k4.json"]);
});

test("results table --json-out writes --json's object to a file and prints the table", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "table-"));
  t.after(() => rmSync(dir, { recursive: true }));
  const out = join(dir, "rows.json");
  const inputs = ["--baseline", "results/replay-none-k4.json", "results/orm-zero-shot-k4.json"];
  const args = ["results", "table", ...inputs, "--json-out", out];
  const r = spawnSync(process.execPath, [main, ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\| run \|/, "the markdown table on stdout");
  const written = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(written.command, `imagecot ${args.join(" ")}`);
  const printed = JSON.parse(spawnSync(process.execPath, [main, "results", "table", ...inputs, "--json"], { encoding: "utf8" }).stdout);
  assert.deepEqual(written.rows, printed.rows, "the same rows as --json prints");
});
