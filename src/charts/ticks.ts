// Axis ticks: round numbers for a linear axis, 1-2-5 steps for a log one, and short labels.

export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Ticks for a log axis given log10 bounds: 1, 2 and 5 times powers of ten (only 1x when dense). */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = Math.floor(lo); k <= Math.ceil(hi); k++) for (const m of [1, 2, 5]) out.push(m * 10 ** k);
  const inRange = out.filter((v) => Math.log10(v) >= lo && Math.log10(v) <= hi);
  return inRange.length > 8 ? inRange.filter((v) => Number(v.toExponential(0)[0]) === 1) : inRange;
}

export function tickLabel(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 10000 || a < 0.001) return v.toExponential(0).replace("e+", "E").replace("e-", "E-");
  return String(Number(v.toPrecision(3)));
}
