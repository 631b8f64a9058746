// SVG to PNG with resvg (a Rust SVG renderer, prebuilt for Node): every chart is drawn once, as
// SVG, and rasterised from it. Text uses the system's sans-serif font (DejaVu on Debian).
import { Resvg } from "@resvg/resvg-js";

/** The PNG bytes of an SVG document, at its own width and height. */
export function svgToPng(svg: string): Uint8Array {
  return new Resvg(svg, { background: "#ffffff", font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" } }).render().asPng();
}
