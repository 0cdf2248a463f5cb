import { readdir } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { type Figures, isBenchmark } from './benchmark';

const BENCH_DIR = fileURLToPath(new URL('./benchmarks/', import.meta.url));
const SUFFIX = '.bench.ts';

/** Names of `src/benchmarks/<name>.bench.ts`, sorted. */
export async function listBenchmarks(): Promise<string[]> {
  const files = await readdir(BENCH_DIR);
  return files
    .filter((f) => f.endsWith(SUFFIX))
    .map((f) => f.slice(0, -SUFFIX.length))
    .sort();
}

export class UnknownBenchmarkError extends Error {
  override readonly name = 'UnknownBenchmarkError';
}

/**
 * Runs one benchmark and returns the figures with the run's context (`bench`, Node version,
 * cores, load): on a shared machine the load explains a slow figure.
 */
export async function runBenchmark(name: string, argv: readonly string[], log: (message: string) => void): Promise<Figures> {
  const known = await listBenchmarks();
  if (!known.includes(name)) throw new UnknownBenchmarkError(`unknown benchmark "${name}"; available: ${known.join(', ') || 'none'}`);
  const loaded = (await import(pathToFileURL(join(BENCH_DIR, `${name}${SUFFIX}`)).href)) as { default?: unknown };
  if (!isBenchmark(loaded.default)) throw new Error(`${name}${SUFFIX} must export default defineBenchmark({ description, run })`);
  const tiny = argv.includes('--tiny');
  const args = argv.filter((a) => a !== '--tiny');
  const loadBefore = loadavg()[0] ?? 0;
  log(`${name}: ${loaded.default.description}${tiny ? ' (tiny run)' : ''}`);
  const figures = await loaded.default.run({ tiny, args, log });
  return {
    bench: name,
    tiny,
    ...figures,
    node: process.version,
    cores: availableParallelism(),
    load1: Math.round(Math.max(loadBefore, loadavg()[0] ?? 0) * 100) / 100,
  };
}
