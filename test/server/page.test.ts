// The page in a real browser (Debian's chromium through playwright-core, no browser download):
// generate from the form, watch the tree and the final image appear, open the dashboard, and
// keep a screenshot in runs/test-page/ (not committed).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { chromium } from "playwright-core";
import { buildApp } from "../../src/server/app.js";
import { fromRoot } from "../../src/util/root.js";
import { PROMPT, ScriptedJudge, TINY_SAMPLE, serverOptions } from "./fixtures.js";

const CHROMIUM = "/usr/bin/chromium";
const N = 4;

test("generating from the page grows the tree and shows the final image", { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt-get install chromium)` }, async (t) => {
  const results = mkdtempSync(join(tmpdir(), "imagecot-page-"));
  const by_tag = { single_object: 0.9, two_object: 0.4, counting: 0.3, colors: 0.8, position: 0.1, color_attr: 0.2 };
  writeFileSync(join(results, "parm.json"), JSON.stringify({ overall: 0.45, by_tag, nfe_per_image: 500, settings: { strategy: "parm", judge: "scripted", n: 20 } }));
  const curve = (...pts: [number, number][]) => pts.map(([nfe, overall], i) => ({ n: 2 ** i, nfe_per_image: nfe, overall }));
  writeFileSync(join(results, "frontier.json"), JSON.stringify({ frontier: { judge: "scripted", best_of_n: curve([36, 0.3], [72, 0.35]), parm: curve([36, 0.3], [50, 0.37]), oracle: curve([36, 0.3], [72, 0.5]) } }));
  const app = buildApp(serverOptions(new ScriptedJudge(1), { resultsDir: results }));
  await app.listen({ port: 0, host: "127.0.0.1" });
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`);
    await page.waitForSelector("#strategy option[value='parm++']", { state: "attached" });
    await page.fill("#prompt", PROMPT);
    await page.selectOption("#strategy", "parm++");
    await page.fill("#n", String(N));
    await page.selectOption("#judge", "scripted");
    await page.click("#generate");
    await page.waitForSelector("#final:not([hidden]) #final-image[src^='data:image/png']");
    assert.equal(await page.textContent("#status"), "done");

    // two rounds (the judge's first reflection fails), each a grid of N paths
    assert.equal(await page.locator(".round").count(), 2);
    assert.equal(await page.locator(".round").first().locator("tr.path").count(), N);
    assert.equal(await page.locator(".round").first().locator("td.cell img").count(), N * TINY_SAMPLE.steps - 2 * (TINY_SAMPLE.steps - 3) + 1);
    assert.equal(await page.locator(".round").first().locator("tr.truncated").count(), 2, "the scripted judge cuts two paths a round");
    assert.equal(await page.locator("tr.chosen").count(), 2, "one chosen path a round");
    assert.ok((await page.locator(".badge.potential").count()) >= N);
    assert.match((await page.textContent(".reflection.no"))!, /expected two circles, found three/);
    assert.ok((await page.textContent("#final-cost"))!.includes("NFE"));

    const dir = fromRoot("runs", "test-page");
    mkdirSync(dir, { recursive: true });
    const shot = join(dir, "generate.png");
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 0);
    t.diagnostic(`screenshot: ${shot}`);

    await page.click("nav button[data-view='dashboard']");
    await page.waitForSelector("#dash-bytag svg");
    assert.match((await page.textContent("#dash-frontier svg"))!, /Compute frontier/, "the frontier chart in the Evaluation tab");
    assert.match((await page.textContent("#dash-results"))!, /parm \(scripted\), N=20/);
    assert.ok((await page.locator("#dash-paper tr").count()) > 10, "the paper's rows");
    await page.screenshot({ path: join(dir, "dashboard.png"), fullPage: true });
    assert.deepEqual(errors, [], "no script errors on the page");
  } finally {
    await browser.close();
    await app.close();
    rmSync(results, { recursive: true, force: true });
  }
});
