import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpTarget } from './http-target';
import { type SimProcess, startSimProcess, tsxArgs } from './test-support/flight-review-process';
import type { ChildJob } from './test-support/upload-child';

const CHILD = fileURLToPath(new URL('./test-support/upload-child.ts', import.meta.url));
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

interface ChildRun {
  readonly child: ChildProcess;
  /** Resolves with the first line matching `pick`, or rejects when the child ends first. */
  next(pick: (msg: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

function runChild(job: ChildJob): ChildRun {
  const child = spawn(process.execPath, tsxArgs(CHILD, [JSON.stringify(job)]), { stdio: ['ignore', 'pipe', 'pipe'] });
  const seen: Record<string, unknown>[] = [];
  const waiters: { pick: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const msg = JSON.parse(line) as Record<string, unknown>;
    seen.push(msg);
    for (const w of [...waiters]) {
      if (!w.pick(msg)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(msg);
    }
  });
  child.once('exit', (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`upload child exited (${code}); stderr: ${stderr}; out: ${JSON.stringify(seen)}`));
  });
  return {
    child,
    next: (pick) =>
      new Promise((resolve, reject) => {
        const hit = seen.find(pick);
        if (hit) resolve(hit);
        else if (child.exitCode !== null) reject(new Error(`upload child already exited; stderr: ${stderr}`));
        else waiters.push({ pick, resolve, reject });
      }),
  };
}

describe('uploader in its own process', () => {
  let sim: SimProcess | undefined;
  let run: ChildRun | undefined;
  let spoolDir: string | undefined;
  afterEach(async () => {
    run?.child.kill('SIGKILL');
    await sim?.kill();
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
    sim = run = spoolDir = undefined;
  });

  it('uploads a 1 GiB file with RSS growth under 64 MiB, and the site gets the same bytes', { timeout: 240_000 }, async () => {
    // The simulator hashes instead of storing (discard) and allows 2 GiB, so only the uploader's memory is in question.
    sim = await startSimProcess(['--discard', '--max-bytes', String(2 * GIB)]);
    spoolDir = await mkdtemp(join(tmpdir(), 'fs-http-mem-'));
    run = runChild({ url: sim.http, spoolDir, path: 'big/flight.ulg', bytes: GIB, maxBytes: 2 * GIB, warmUp: true });
    const done = await run.next((m) => m['done'] === true || m['error'] !== undefined);
    expect(done['error']).toBeUndefined();
    const growth = (done['maxRss'] as number) - (done['baseline'] as number);
    console.log(`1 GiB upload: baseline RSS ${((done['baseline'] as number) / MIB).toFixed(1)} MiB, peak growth ${(growth / MIB).toFixed(1)} MiB`);
    expect(growth).toBeLessThan(64 * MIB);
    const stored = (await sim.logs()).find((l) => l.fileName === 'flight.ulg');
    expect(stored).toMatchObject({ size: GIB, sha256: done['sha256'] });
  });

  it('after SIGKILL mid-POST, the restarted target finds the stored log instead of sending it again', { timeout: 60_000 }, async () => {
    sim = await startSimProcess();
    // The site stores the log, then sits on the answer: the uploader dies in the POST's last round trip.
    await sim.addFault({ type: 'lose-answer', delayMs: 30_000 });
    spoolDir = await mkdtemp(join(tmpdir(), 'fs-http-crash-'));
    run = runChild({ url: sim.http, spoolDir, path: 'crash.ulg', bytes: 3 * MIB });
    const started = (await run.next((m) => m['attempt'] !== undefined && (m['attempt'] as { path: string }).path === 'crash.ulg'))['attempt'] as {
      key: string;
      sha256: string;
      size: number;
    };
    let stored = false;
    for (let i = 0; i < 200 && !stored; i++) {
      stored = (await sim.logs()).some((l) => l.idempotencyKey === started.key);
      if (!stored) await new Promise((r) => setTimeout(r, 50));
    }
    expect(stored).toBe(true);
    run.child.kill('SIGKILL');

    const target = createHttpTarget({ id: 'restart', mode: 'flight-review', url: sim.http, spoolDir, lookupUrl: `${sim.http}/lookup` });
    const receipt = await target.commit('crash.ulg', { size: started.size, sha256: started.sha256 });
    await target.close();
    expect(receipt.outcome).toBe('already-present');
    expect((await sim.logs()).filter((l) => l.sha256 === started.sha256)).toHaveLength(1);
    expect((await readdir(spoolDir)).filter((f) => !f.endsWith('.done.json'))).toEqual([]);
  });
});
