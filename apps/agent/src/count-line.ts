/** `found 2, staged 1` — the states with a count, in the order given; `none` when all are 0. */
export function nonZeroCounts(counts: Readonly<Record<string, number>>): string {
  return (
    Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => `${state} ${n}`)
      .join(', ') || 'none'
  );
}
