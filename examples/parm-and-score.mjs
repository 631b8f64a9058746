// Generate with PARM and score the image by GenEval's rules: README's example program.
import { detect, evaluateImage, loadPipeline, makeJudge, runStrategy, writePng } from "imagecot";

const pipeline = loadPipeline(); // the embedded generator and tokenizer, shipped in the package
const judge = makeJudge({ judge: "fine-tuned" }); // or { judge: "openai", baseUrl, model }
const meta = {
  tag: "counting",
  include: [{ class: "circle", count: 2 }],
  exclude: [{ class: "circle", count: 3 }],
  prompt: "a photo of two circles",
};
const [result] = await runStrategy(pipeline, meta.prompt, { strategy: "parm", judge, n: 4, seeds: [7] });
const verdict = evaluateImage(meta, detect(result.image)); // the classical shapes detector
writePng("two-circles.png", result.image);
console.log(JSON.stringify({ correct: verdict.correct, reasons: verdict.reasons, nfe: result.nfe, judgeCalls: result.judgeCalls }));
