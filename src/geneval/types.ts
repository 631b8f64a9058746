// GenEval's prompt metadata (one JSON object a line) and the detections its rules score.
// Field names and values follow djghosh13/geneval's evaluation_metadata.jsonl exactly.

export const TAGS = ["single_object", "two_object", "counting", "colors", "position", "color_attr"] as const;
export type Tag = (typeof TAGS)[number];

export const COLORS = ["red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white"] as const;
export type Color = (typeof COLORS)[number];

export const RELATIONS = ["left of", "right of", "above", "below"] as const;
export type Relation = (typeof RELATIONS)[number];

export interface Include {
  class: string;
  count: number;
  color?: Color;
  /** [relation, index of the include entry this object is placed relative to] */
  position?: [Relation, number];
}

export interface Exclude {
  class: string;
  count: number;
}

export interface PromptMeta {
  tag: Tag;
  include: Include[];
  exclude?: Exclude[];
  prompt: string;
}

/** [x0, y0, x1, y1] in pixels, y growing downwards. */
export type Box = [number, number, number, number];

/** One detected object, in pixels, y growing downwards. */
export interface Detection {
  class: string;
  box: Box;
  confidence: number;
  /** absent when the detector gives none (GenEval's own results.jsonl, say): a colour check then fails, saying so */
  color?: Color;
}
