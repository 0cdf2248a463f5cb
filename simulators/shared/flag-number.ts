/** A command-line number ≥ 0 given as `--name`, or undefined when the flag is absent; a clear error otherwise. */
export function flagNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: expected a number ≥ 0, got ${JSON.stringify(value)}`);
  return n;
}
