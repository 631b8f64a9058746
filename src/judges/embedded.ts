// The embedded judges behind the Judge interface. The zero-shot one was trained on clean
// renders and the outcome question only, so it answers every question as that one about the
// image in front of it (as an LMM used zero-shot would); the fine-tuned one was trained on
// the generator's own paths for all four questions. Both reflect: their reflection heads
// predict what the image shows for each object the prompt names, and the most likely failing
// reading's mismatch with the prompt becomes the reason (explain.ts).
import { existsSync } from "node:fs";
import type { RGBImage } from "../shapes/image.js";
import { type Tensor, noGrad, tidy } from "../torch/index.js";
import { loadWeights } from "../train/checkpoint.js";
import { fromRoot } from "../util/root.js";
import { fileHash } from "../util/file-hash.js";
import { QUESTION_ID } from "./examples.js";
import { type Judge, type JudgeRequest, type Reflection, type Verdict, says } from "./judge.js";
import { JudgeNet, type JudgeNetConfig } from "./model.js";
import { type Observation, UNSPECIFIED_REASON, parsePrompt } from "../geneval/observe.js";
import type { PromptMeta } from "../geneval/types.js";
import { type HeadProbs, explainNo, mostLikelyReading } from "./explain.js";
import { judgeInput, questionItems } from "./train.js";

export const EMBEDDED_JUDGES = {
  "zero-shot": fromRoot("models", "judge-zero-shot.safetensors"),
  "fine-tuned": fromRoot("models", "judge-fine-tuned.safetensors"),
} as const;
export type EmbeddedJudgeName = keyof typeof EMBEDDED_JUDGES;

const hashes = new Map<string, string | null>();

/** The content hash of an embedded judge's weights on this machine (null: no such file), hashed once a process. */
export function embeddedJudgeHash(name: EmbeddedJudgeName): string | null {
  if (!hashes.has(name)) hashes.set(name, fileHash(EMBEDDED_JUDGES[name]));
  return hashes.get(name)!;
}

export function loadJudgeNet(path: string): { net: JudgeNet; kind: string } {
  if (!existsSync(path)) throw new Error(`no judge weights at ${path} (train them with 'imagecot train judge')`);
  const { model, metadata } = loadWeights<JudgeNetConfig, JudgeNet>(path, (c) => new JudgeNet(c));
  return { net: model.eval(), kind: metadata.kind ?? "unknown" };
}

const BATCH = 128;

export class EmbeddedJudge implements Judge {
  constructor(
    readonly name: string,
    private readonly net: JudgeNet,
    /** true: every question is asked as the outcome question about the image given */
    private readonly zeroShot: boolean,
    readonly id?: string,
  ) {}

  async judge(requests: readonly JudgeRequest[]): Promise<Verdict[]> {
    const out: Verdict[] = [];
    for (let i = 0; i < requests.length; i += BATCH) {
      const part = requests.slice(i, i + BATCH);
      const p = noGrad(() => tidy(() => this.net.forward(judgeInput(this.net, part.map((r) => r.image), questionItems(part, this.zeroShot))).yes.sigmoid().toArray()));
      out.push(...p.map((pYes) => ({ pYes })));
    }
    return out;
  }

  async reflect(prompt: string, image: RGBImage): Promise<Reflection> {
    const [{ pYes, probs }] = this.heads([{ prompt, image }]);
    if (says(pYes)) return { pYes, reason: null };
    let meta;
    try {
      meta = parsePrompt(prompt);
    } catch {
      return { pYes, reason: UNSPECIFIED_REASON }; // not a template prompt: nothing to compare with
    }
    return { pYes, reason: explainNo(meta, probs) };
  }

  /** What the reflection heads read of template prompts' objects, each at its most likely value: to check the reasons against the detector (bench reasons). */
  read(items: readonly { meta: PromptMeta; image: RGBImage }[]): Observation[] {
    return this.answerAndRead(items).map((r) => r.reading);
  }

  /** The outcome answer and `read`'s reading, from one pass per batch. */
  answerAndRead(items: readonly { meta: PromptMeta; image: RGBImage }[]): { pYes: number; reading: Observation }[] {
    const out: { pYes: number; reading: Observation }[] = [];
    for (let i = 0; i < items.length; i += BATCH) {
      const part = items.slice(i, i + BATCH);
      this.heads(part.map((x) => ({ prompt: x.meta.prompt, image: x.image }))).forEach(({ pYes, probs }, k) => out.push({ pYes, reading: mostLikelyReading(part[k].meta, probs) }));
    }
    return out;
  }

  /** The outcome answer and the reflection heads' probabilities, per (prompt, image). */
  private heads(items: readonly { prompt: string; image: RGBImage }[]): { pYes: number; probs: HeadProbs }[] {
    return noGrad(() =>
      tidy(() => {
        const o = this.net.forward(judgeInput(this.net, items.map((x) => x.image), items.map((x) => ({ prompt: x.prompt, question: QUESTION_ID.outcome }))));
        // per row, per slot: the softmax over the classes
        const rows = (t: Tensor) => {
          const [, slots, classes] = t.shape; // (B, SLOTS, classes)
          const flat = t.softmax(-1).toArray();
          return items.map((_, b) => Array.from({ length: slots }, (_, s) => flat.slice((b * slots + s) * classes, (b * slots + s + 1) * classes)));
        };
        // a counting head, where the judge has one, reads the counts: a sum over the patches
        const [counts, colors] = [rows(o.counted ?? o.counts), rows(o.colors)];
        const pYes = o.yes.sigmoid().toArray();
        const relations = o.relations.sigmoid().toArray();
        const R = o.relations.size(1);
        return items.map((_, b) => ({ pYes: pYes[b], probs: { counts: counts[b], colors: colors[b], relations: relations.slice(b * R, (b + 1) * R) } }));
      }),
    );
  }
}

/** An embedded judge's id: its name and its weights' content hash (what cached verdicts and rows record). */
export function embeddedJudgeId(name: EmbeddedJudgeName, path: string = EMBEDDED_JUDGES[name]): string {
  return `${name} ${path === EMBEDDED_JUDGES[name] ? embeddedJudgeHash(name) : fileHash(path)}`;
}

export function loadEmbeddedJudge(name: EmbeddedJudgeName, path: string = EMBEDDED_JUDGES[name]): EmbeddedJudge {
  return new EmbeddedJudge(name, loadJudgeNet(path).net, name === "zero-shot", embeddedJudgeId(name, path));
}

