// One figure per GenEval tag: the rows of each tag (in sorted tag order) summarised by `f`.
export function byTag<T extends { tag: string }, R>(rows: readonly T[], f: (rows: T[]) => R): Record<string, R> {
  const tags = [...new Set(rows.map((r) => r.tag))].sort();
  return Object.fromEntries(tags.map((t) => [t, f(rows.filter((r) => r.tag === t))]));
}
