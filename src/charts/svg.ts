// Small helpers for writing SVG and HTML by hand: escaping, number formatting, a palette.

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Coordinates rounded to 0.1 px: shorter files, no visible difference. */
export const f1 = (x: number): string => String(Math.round(x * 10) / 10);

/** An accuracy in [0, 1] as the paper prints it: ".53". */
export const acc = (x: number): string => x.toFixed(2).replace(/^0\./, ".");

/** Distinct colours (Tableau 10), cycled by row index. */
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
export const color = (i: number): string => PALETTE[i % PALETTE.length];

export function svgDoc(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...body,
    "</svg>",
  ].join("\n");
}

export const text = (x: number, y: number, s: string, attrs = ""): string => `<text x="${f1(x)}" y="${f1(y)}" ${attrs}>${esc(s)}</text>`;

/** The SVG with `json` (how it was made) in a <metadata> element after its opening tag. */
export function withMetadata(svg: string, json: object): string {
  return svg.replace(/^(<svg[^>]*>)/, `$1\n<metadata>${esc(JSON.stringify(json))}</metadata>`);
}
