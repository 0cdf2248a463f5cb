import { runBenchmark, UnknownBenchmarkError } from './runner';

/**
 * `npx tsx tools/bench/src/run.ts <name> [--tiny] [args…]`. Progress goes to stderr; stdout gets
 * exactly one JSON line of figures, last, which scripts and the chaos runner parse.
 */
const [name, ...rest] = process.argv.slice(2);
const log = (message: string): void => void process.stderr.write(`${message}\n`);

if (name === undefined || name.startsWith('-')) {
  log('usage: run.ts <benchmark> [--tiny] [args…]');
  process.exitCode = 2;
} else {
  try {
    const figures = await runBenchmark(name, rest, log);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } catch (err) {
    log(err instanceof Error ? err.message : String(err));
    process.exitCode = err instanceof UnknownBenchmarkError ? 2 : 1;
  }
}
