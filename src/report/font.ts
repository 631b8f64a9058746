// A 3x5 pixel font (upper case, digits, a little punctuation) so charts can carry labels as
// plain PNGs, with no font files or rasteriser installed.
const GLYPHS: Record<string, string> = {
  "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
  "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001010010010",
  "8": "111101111101111", "9": "111101111001111", A: "010101111101101", B: "110101110101110",
  C: "011100100100011", D: "110101101101110", E: "111100110100111", F: "111100110100100",
  G: "011100101101011", H: "101101111101101", I: "111010010010111", J: "001001001101010",
  K: "101101110101101", L: "100100100100111", M: "101111111101101", N: "110101101101101",
  O: "010101101101010", P: "110101110100100", Q: "010101101110011", R: "110101110101101",
  S: "011100010001110", T: "111010010010010", U: "101101101101111", V: "101101101101010",
  W: "101101111111101", X: "101101010101101", Y: "101101010010010", Z: "111001010100111",
  ".": "000000000000010", "-": "000000111000000", ":": "000010000010000", "/": "001001010100100",
  "%": "101001010100101", "+": "000010111010000", "(": "010100100100010", ")": "010001001001010",
  "=": "000111000111000", ",": "000000000010100", "_": "000000000000111", " ": "000000000000000",
};

/** Width in pixels of text drawn at `scale` (3 pixels a glyph plus 1 of spacing). */
export function textWidth(text: string, scale = 1): number {
  return Math.max(0, text.length * 4 * scale - scale);
}

/** Calls plot(x, y) for every lit pixel of the text, top-left at (x0, y0). */
export function drawText(text: string, x0: number, y0: number, scale: number, plot: (x: number, y: number) => void): void {
  [...text.toUpperCase()].forEach((ch, i) => {
    const g = GLYPHS[ch] ?? GLYPHS[" "];
    for (let r = 0; r < 5; r++)
      for (let c = 0; c < 3; c++)
        if (g[r * 3 + c] === "1")
          for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) plot(x0 + (i * 4 + c) * scale + dx, y0 + r * scale + dy);
  });
}
