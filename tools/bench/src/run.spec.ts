import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { listBenchmarks } from './runner';

const run = promisify(execFile);
const RUN = fileURLToPath(new URL('./run.ts', import.meta.url));

function bench(...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', RUN, ...args], { timeout: 110_000 });
}

describe('bench runner', () => {
  it('finds the benchmarks by file name', async () => {
    expect(await listBenchmarks()).toContain('actors');
  });

  it('runs the actors benchmark in tiny mode and prints one JSON line of figures, last', async () => {
    const { stdout } = await bench('actors', '--tiny');
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const figures = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(figures).toMatchObject({ bench: 'actors', tiny: true, asks: 200, starts: 2 });
    for (const key of [
      'askRoundTripsPerSec',
      'askPipelinedPerSec',
      'peerAskRoundTripsPerSec',
      'tellsPerSec',
      'actorStartMsFirst',
      'actorStartMsMedian',
      'actorStartMsP95',
      'actorStopMsMedian',
      'load1',
    ]) {
      expect(typeof figures[key], key).toBe('number');
      expect(figures[key] as number, key).toBeGreaterThan(0);
    }
  });

  it('exits 2 naming the available benchmarks when the name is unknown', async () => {
    const err = (await bench('no-such-bench').catch((e: unknown) => e)) as { code?: number; stderr?: string };
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/unknown benchmark "no-such-bench"; available: .*actors/);
  });
});
