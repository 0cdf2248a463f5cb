export { defineBenchmark, isBenchmark } from './benchmark';
export type { BenchContext, Benchmark, Figure, Figures } from './benchmark';
export { listBenchmarks, runBenchmark, UnknownBenchmarkError } from './runner';
export { median, percentile, ratePerSecond } from './stats';
