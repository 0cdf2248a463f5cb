/** A figure a benchmark reports: a number, or a string/boolean describing the run. */
export type Figure = number | string | boolean;
export type Figures = Readonly<Record<string, Figure>>;

export interface BenchContext {
  /** `--tiny`: a few iterations, so a smoke test can prove the benchmark runs, not measure it. */
  readonly tiny: boolean;
  /** Arguments after the benchmark name, `--tiny` removed. */
  readonly args: readonly string[];
  /** Progress for humans, on stderr: stdout carries only the final JSON line. */
  log(message: string): void;
}

export interface Benchmark {
  /** One sentence: what it measures and against what. */
  readonly description: string;
  /** Returns the figures; the runner prints them as the last (and only) stdout line. */
  run(ctx: BenchContext): Promise<Figures>;
}

/** A benchmark module's default export. */
export function defineBenchmark(benchmark: Benchmark): Benchmark {
  return benchmark;
}

export function isBenchmark(value: unknown): value is Benchmark {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Benchmark).run === 'function' &&
    typeof (value as Benchmark).description === 'string'
  );
}
