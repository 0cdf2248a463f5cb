import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkBackupFile } from './backup';
import { openCatalog } from './open-catalog';
import { listBackups } from './store-files';
import { bundleForNode, tsxImportArgs } from './testing/bundle-child';
import { tempDirs } from './testing/fixtures';
import type { Intent } from './testing/power-loss-protocol';
import { randomInt, seededRandom } from './testing/prng';

/**
 * Acceptance: a child process changes a real store in a loop and says which changes it committed;
 * it is killed with SIGKILL at random moments (seeded), a new child each time. After every kill the
 * store must open without repair, pass integrity_check, and hold exactly the changes reported
 * committed, plus at most the one announced but not yet confirmed when the kill landed.
 *
 * SIGKILL loses the process, not the page cache: this proves the catalog's transactions are atomic
 * and that a commit is on the file when it returns; durability against real power loss rests on
 * synchronous=FULL (each commit fsyncs the WAL), which no test here can cut the power under.
 */
const KILLS = 200;
const LANES = 4; // each its own store file; children of different lanes overlap
const SEED = Number(process.env['POWER_LOSS_SEED'] ?? 20261125);
const DEADLINE_MS = 200_000;

const CHILD = fileURLToPath(new URL('./testing/power-loss-child.ts', import.meta.url));
/** `tsx` runs the child straight from source (`node --import tsx`); the default runs it bundled, ~5x cheaper to start. */
const CHILD_MODE = process.env['POWER_LOSS_CHILD'] === 'tsx' ? 'tsx' : 'bundle';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

interface FileModel {
  s: string;
  o: number;
  targets: Record<string, { s: string; o: number }>;
}
interface Model {
  files: Record<string, FileModel>;
  events: number;
}

function applyIntent(model: Model, intent: Intent): Model {
  const next: Model = structuredClone(model);
  switch (intent.op) {
    case 'found':
      next.files[intent.f] = { s: 'found', o: 0, targets: Object.fromEntries(intent.targets.map((t) => [t, { s: 'pending', o: 0 }])) };
      next.events += 1;
      break;
    case 'file':
      next.files[intent.f] = { ...next.files[intent.f]!, s: intent.s, o: intent.o };
      next.events += intent.e;
      break;
    case 'target':
      next.files[intent.f]!.targets[intent.t] = { s: intent.s, o: intent.o };
      next.events += intent.e;
      break;
    case 'backup':
      break;
  }
  return next;
}

function snapshot(path: string): Model {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const files: Record<string, FileModel> = {};
    for (const f of db.prepare('SELECT file_id, state, download_offset FROM files').all() as { file_id: string; state: string; download_offset: number }[]) {
      files[f.file_id] = { s: f.state, o: f.download_offset, targets: {} };
    }
    for (const t of db.prepare('SELECT file_id, target_id, state, offset FROM file_targets').all() as {
      file_id: string;
      target_id: string;
      state: string;
      offset: number;
    }[]) {
      files[t.file_id]!.targets[t.target_id] = { s: t.state, o: t.offset };
    }
    const { n } = db.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
    return { files, events: n };
  } finally {
    db.close();
  }
}

/** Canonical text of a model, so that two equal stores compare equal whatever their row order. */
function canonical(model: Model): string {
  const files = Object.keys(model.files)
    .sort()
    .map((id) => {
      const f = model.files[id]!;
      const targets = Object.keys(f.targets)
        .sort()
        .map((t) => `${t}=${f.targets[t]!.s}@${f.targets[t]!.o}`);
      return `${id}:${f.s}@${f.o}[${targets.join(',')}]`;
    });
  return `${files.join('\n')}\nevents=${model.events}`;
}

interface ChildRun {
  stdout: string;
  stderr: string;
  signal: NodeJS.Signals | null;
  code: number | null;
  ready: boolean;
  /** Spawn to READY, ms. */
  startMs: number;
}

/** One child: killed `delayMs` after READY, or (early) `delayMs` after spawn whatever it is doing. */
function runChild(command: string[], path: string, seed: number, early: boolean, delayMs: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...command, path, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let ready = false;
    const spawnedAt = performance.now();
    let startMs = 0;
    const kill = (): void => void child.kill('SIGKILL');
    const watchdog = setTimeout(kill, 30_000); // a hung child is killed too, and then fails the checks below
    if (early) setTimeout(kill, delayMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!ready && stdout.startsWith('READY\n')) {
        ready = true;
        startMs = performance.now() - spawnedAt;
        if (!early) setTimeout(kill, delayMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      resolve({ stdout, stderr, signal, code, ready, startMs });
    });
  });
}

describe('power loss (SIGKILL at random moments)', () => {
  it(`keeps every reported commit through ${KILLS} kills, and never needs a repair`, async () => {
    const dir = dirs.make();
    const command = CHILD_MODE === 'tsx' ? [...tsxImportArgs(), CHILD] : [await bundleForNode(CHILD, dir)];
    const started = Date.now();
    const figures = { kills: 0, killsAfterReady: 0, midCommit: 0, midCommitKept: 0, commitsConfirmed: 0, childStartMs: 0, verifyMs: 0 };

    async function lane(laneNo: number): Promise<void> {
      const random = seededRandom(SEED + laneNo);
      const path = join(dir, `lane-${laneNo}.db`);
      openCatalog(path).catalog.close();
      let model = snapshot(path);
      for (let round = 0; figures.killsAfterReady < KILLS && Date.now() - started < DEADLINE_MS; round++) {
        const early = random() < 0.1;
        const run = await runChild(command, path, randomInt(random, 1, 2 ** 31), early, early ? randomInt(random, 0, 500) : randomInt(random, 0, 60));
        const context = `lane ${laneNo} round ${round} (seed ${SEED})`;
        expect(run.signal, `${context}: child was not killed; code ${run.code}; stderr: ${run.stderr}`).toBe('SIGKILL');
        expect(run.stdout, context).not.toMatch(/^REPAIR/m);
        figures.kills++;
        if (run.ready) figures.killsAfterReady++;
        figures.childStartMs += run.startMs;
        const verifyStarted = performance.now();

        // Replay what the child reported: D confirms the W before it.
        let pending: Intent | undefined;
        const lines = run.stdout.split('\n').slice(0, -1); // pipe writes of a line are atomic: no partial lines
        for (const line of lines) {
          if (line.startsWith('W ')) pending = JSON.parse(line.slice(2)) as Intent;
          else if (line === 'D') {
            expect(pending, `${context}: D without W`).toBeDefined();
            model = applyIntent(model, pending!);
            pending = undefined;
            figures.commitsConfirmed++;
          }
        }

        const { catalog, repair } = openCatalog(path);
        try {
          expect(repair, `${context}: store needed a repair`).toBeUndefined();
          expect(catalog.checkIntegrity(), context).toEqual([]);
        } finally {
          catalog.close();
        }
        const actual = snapshot(path);
        const expected = canonical(model);
        if (pending === undefined || canonical(actual) === expected) {
          expect(canonical(actual), `${context}: store differs from the commits reported`).toBe(expected);
        } else {
          // The kill landed between announcing a change and confirming it: the change is all there or not at all.
          expect(canonical(actual), `${context}: half a commit`).toBe(canonical(applyIntent(model, pending)));
        }
        if (pending !== undefined && pending.op !== 'backup') {
          figures.midCommit++;
          if (canonical(actual) !== expected) figures.midCommitKept++;
        }
        model = actual;
        figures.verifyMs += performance.now() - verifyStarted;
      }
      for (const backup of listBackups(path)) expect(checkBackupFile(backup.path), backup.path).toBeUndefined();
    }

    await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i)));
    const elapsedMs = Date.now() - started;
    const report = {
      ...figures,
      childStartMs: Math.round(figures.childStartMs / Math.max(1, figures.killsAfterReady)), // spawn → READY, mean
      verifyMs: Math.round(figures.verifyMs / Math.max(1, figures.kills)),
      lanes: LANES,
      seed: SEED,
      child: CHILD_MODE,
      elapsedMs,
    };
    console.log(`power-loss: ${JSON.stringify(report)}`);
    expect(figures.killsAfterReady).toBeGreaterThanOrEqual(KILLS);
    // The children really worked between kills, and kills really landed around commits.
    expect(figures.commitsConfirmed).toBeGreaterThanOrEqual(KILLS / 2);
    expect(figures.midCommit).toBeGreaterThanOrEqual(10);
  }, 240_000);
});
