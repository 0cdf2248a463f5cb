import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { listBenchmarks } from './runner';

const run = promisify(execFile);
const RUN = fileURLToPath(new URL('./run.ts', import.meta.url));

function bench(...args: string[]) {
  return benchWithin(110_000, ...args);
}

function benchWithin(timeout: number, ...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', RUN, ...args], { timeout });
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

  // Starts the built agent four times and rclone three times (80 s at load 14 on 2 cores): needs `nx run-many -t build -p agent simulators`.
  it.skipIf(!existsSync('/usr/bin/rclone'))('runs the s3-upload benchmark in tiny mode: both clients, both sizes, the kill at half', async () => {
    const { stdout } = await benchWithin(280_000, 's3-upload', '--tiny');
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const figures = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(figures).toMatchObject({ bench: 's3-upload', tiny: true, bigMiB: 48, smallFiles: 30 });
    for (const key of ['bigFilesyncSec', 'bigRcloneSec', 'bigTimeRatio', 'smallFilesyncSec', 'smallRcloneSec', 'smallTimeRatio', 'smallFilesyncFilesPerSec', 'killFilesyncAtBytes', 'killRcloneAtBytes']) {
      expect(typeof figures[key], key).toBe('number');
      expect(figures[key] as number, key).toBeGreaterThan(0);
    }
    // Sent again after the kill: filesync at most one 8 MiB part (plus what was in flight); never negative.
    expect(figures['killFilesyncResentBytes'] as number).toBeGreaterThanOrEqual(0);
    expect(figures['killFilesyncResentBytes'] as number).toBeLessThanOrEqual(2 * 8 * 2 ** 20);
    expect(figures['killRcloneResentBytes'] as number).toBeGreaterThanOrEqual(0);
  }, 300_000);

  it('exits 2 naming the available benchmarks when the name is unknown', async () => {
    const err = (await bench('no-such-bench').catch((e: unknown) => e)) as { code?: number; stderr?: string };
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/unknown benchmark "no-such-bench"; available: .*actors/);
  });
});
