// Each class as a signed distance function in its own canonical frame: the shape's tight box is
// centred on the origin and its longer side is 2 units long. The renderer draws from these and
// the detector matches against the same functions, so a clean render is its own template.
import type { ShapeClass } from "./world.js";

export interface ShapeGeometry {
  /** signed distance (canonical units, negative inside) of the point (u, v), v growing downwards */
  sdf(u: number, v: number): number;
  /** half the tight box's width and height, canonical units (the larger one is 1) */
  halfW: number;
  halfH: number;
}

type Sdf = (u: number, v: number) => number;

// Math.hypot is several times slower in V8 and guards against overflow we never meet.
const len = (x: number, y: number): number => Math.sqrt(x * x + y * y);

/** Exact signed distance to a simple polygon (after Inigo Quilez's sdPolygon); `xy` is flat x,y pairs. */
function polygonSdf(xy: number[]): Sdf {
  const n = xy.length / 2;
  return (px, py) => {
    let d = (px - xy[0]) ** 2 + (py - xy[1]) ** 2;
    let s = 1;
    for (let i = 0, j = n - 1; i < n; j = i, i++) {
      const vx = xy[2 * i], vy = xy[2 * i + 1];
      const ex = xy[2 * j] - vx, ey = xy[2 * j + 1] - vy;
      const wx = px - vx, wy = py - vy;
      const t = Math.min(Math.max((wx * ex + wy * ey) / (ex * ex + ey * ey), 0), 1);
      const bx = wx - ex * t, by = wy - ey * t;
      d = Math.min(d, bx * bx + by * by);
      const c1 = py >= vy, c2 = py < xy[2 * j + 1], c3 = ex * wy > ey * wx;
      if ((c1 && c2 && c3) || (!c1 && !c2 && !c3)) s = -s;
    }
    return s * Math.sqrt(d);
  };
}

/** Moves a raw shape with tight box [x0, y0, x1, y1] into the canonical frame. */
function normalise(raw: Sdf, [x0, y0, x1, y1]: [number, number, number, number]): ShapeGeometry {
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const k = 2 / Math.max(x1 - x0, y1 - y0);
  return { sdf: (u, v) => raw(u / k + cx, v / k + cy) * k, halfW: ((x1 - x0) * k) / 2, halfH: ((y1 - y0) * k) / 2 };
}

function polygon(xy: number[]): ShapeGeometry {
  const xs = xy.filter((_, i) => i % 2 === 0), ys = xy.filter((_, i) => i % 2 === 1);
  return normalise(polygonSdf(xy), [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]);
}

function star(points: number, inner: number): ShapeGeometry {
  const xy: number[] = [];
  for (let i = 0; i < 2 * points; i++) {
    const a = -Math.PI / 2 + (i * Math.PI) / points;
    const r = i % 2 === 0 ? 1 : inner;
    xy.push(r * Math.cos(a), r * Math.sin(a));
  }
  return polygon(xy);
}

/** A plus sign whose arms are 2*arm wide, 2 long. */
function cross(arm: number): ShapeGeometry {
  const a = arm;
  return polygon([-a, -1, a, -1, a, -a, 1, -a, 1, a, a, a, a, 1, -a, 1, -a, a, -1, a, -1, -a, -a, -a]);
}

/** The classic heart: a square standing on a corner with a disc on each upper edge. */
function heart(): ShapeGeometry {
  const h = Math.SQRT1_2; // the square (side 1) reaches h from its centre along each axis
  const square = polygonSdf([0, -h, h, 0, 0, h, -h, 0]);
  const c = h / 2; // centres of the upper edges
  const raw: Sdf = (u, v) =>
    Math.min(square(u, v), len(u + c, v + c) - 0.5, len(u - c, v + c) - 0.5);
  return normalise(raw, [-c - 0.5, -c - 0.5, c + 0.5, h]);
}

export const GEOMETRY: Readonly<Record<ShapeClass, ShapeGeometry>> = {
  circle: { sdf: (u, v) => len(u, v) - 1, halfW: 1, halfH: 1 },
  square: {
    sdf: (u, v) => {
      const qx = Math.abs(u) - 1, qy = Math.abs(v) - 1;
      return len(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0);
    },
    halfW: 1,
    halfH: 1,
  },
  triangle: polygon([0, -1, 1, 1, -1, 1]),
  star: star(5, 0.5),
  cross: cross(0.34),
  // hole radius half the outer one: it stays open under blur down to ~12 px objects
  ring: { sdf: (u, v) => Math.abs(len(u, v) - 0.75) - 0.25, halfW: 1, halfH: 1 },
  heart: heart(),
  diamond: polygon([0, -1, 1, 0, 0, 1, -1, 0]),
};
