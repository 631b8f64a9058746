// GET /v1/results: the evaluation dashboard's data, read afresh from the results folder on each
// request (evaluations finish while the server runs). The charts and tables come as HTML/SVG
// made by the same code as `imagecot report`, so the page and the report never disagree.
import type { FastifyInstance } from "fastify";
import { accuracyNfeSvg, dpoPairsSvg, frontierSvg, tagBarsSvg } from "../report/charts.js";
import { dpoPairsLines, readDpoRuns } from "../report/dpo.js";
import { readFrontiers } from "../report/frontier.js";
import { paperTableHtml, resultsTableHtml } from "../report/html.js";
import { PAPER_ROWS } from "../report/paper.js";
import { readResultsDir } from "../report/results.js";
import { isFolder } from "../util/folder.js";
import type { ServerContext } from "./context.js";

export function registerDashboard(app: FastifyInstance, ctx: ServerContext): void {
  app.get("/v1/results", async () => {
    const dir = ctx.options.resultsDir;
    // no results folder (yet): an empty dashboard, not an error of the request
    const [rows, dpo, frontiers] = isFolder(dir) ? [readResultsDir(dir), readDpoRuns(dir), readFrontiers(dir)] : [[], [], []];
    return {
      rows,
      paper: PAPER_ROWS,
      html: {
        results: resultsTableHtml(rows),
        paper: paperTableHtml(),
        byTag: tagBarsSvg(rows),
        accuracyNfe: accuracyNfeSvg(rows),
        frontier: frontiers.map(frontierSvg).join("\n"), // one chart a `bench frontier` file; none: ""
        dpoPairs: dpo.length > 0 ? dpoPairsSvg(dpoPairsLines(dpo, rows)) : "",
      },
    };
  });
}
