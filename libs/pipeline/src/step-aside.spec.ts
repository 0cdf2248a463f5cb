import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError, type Source } from '@filesync/core';
import { patternBytes, sha256Hex } from '@filesync/core/testing';
import { createMavftpSource } from '@filesync/device-mavftp';
import { type Px4Sim, startPx4Sim } from '@filesync/device-mavftp/testing';
import { buildRouting } from './routing';
import { SourcePipeline } from './source-pipeline';
import { type World, makeWorld, waitFor } from './testing/fixture';

const LOG_DIR = '/fs/microsd/log';
/** Fast backoff so the test sees every attempt: 100, 200, 400 ms… */
const FAST = { maxAttempts: 3, retryBackoff: { initialMs: 100, maxMs: 400, factor: 2, jitter: 0 } };

async function runUntil(pipeline: SourcePipeline, done: () => boolean, what: string): Promise<void> {
  const controller = new AbortController();
  const run = pipeline.run(controller.signal, 5_000);
  try {
    await waitFor(done, 60_000, what);
  } finally {
    controller.abort();
    await run;
  }
}

describe('failing files step aside: a MAVFTP file the autopilot always refuses (simulator, UDP)', () => {
  let world: World;
  let sim: Px4Sim;
  let root: string;
  let source: Source;
  const files: Record<string, Uint8Array> = {
    'a/01.ulg': patternBytes(20_000, 1),
    'a/02.ulg': patternBytes(30_000, 2),
    'b/03.ulg': patternBytes(25_000, 3),
  };
  const BAD = 'a/01.ulg'; // first in the download order (oldest, small): it would hold up the rest

  beforeEach(async () => {
    world = await makeWorld();
    root = await mkdtemp(join(tmpdir(), 'fs-step-aside-'));
    for (const [path, bytes] of Object.entries(files)) {
      await mkdir(dirname(join(root, LOG_DIR, path)), { recursive: true });
      await writeFile(join(root, LOG_DIR, path), bytes);
    }
    sim = await startPx4Sim(root, ['--no-pty', '--tx-buffer', '15000'], { removeRoot: true });
    source = createMavftpSource({ id: 'px4', link: `udpout:${sim.udp}`, logDir: LOG_DIR });
  });
  afterEach(async () => {
    await source.close();
    await sim.stop();
    await world.cleanup();
  });

  for (const [name, code] of [['FailErrno (EIO)', 2], ['Fail', 1], ['InvalidDataSize', 3], ['an unknown code', 200]] as const) {
    it(`NAK ${name}: the others are staged, it fails after N attempts with the device's reason, health is degraded`, async () => {
      await sim.post('/faults', { nakOpen: { [`${LOG_DIR}/${BAD}`]: code } });
      const config = world.config([{ source: 'px4', targets: ['nas'] }]);
      // A backoff long enough (2 s, then 4 s) that the others are surely staged meanwhile on a loaded machine.
      const downloader = { ...FAST, retryBackoff: { initialMs: 2_000, maxMs: 4_000, factor: 2, jitter: 0 } };
      const pipeline = new SourcePipeline(source, world.staging, world.catalog, buildRouting(config.routes), {
        pollIntervalMs: 60_000,
        downloader,
      });
      await runUntil(pipeline, () => world.catalog.counts().files.staged === 2 && world.catalog.counts().files.failed === 1, 'two staged, one failed');
      const staged = world.catalog.listFiles({ state: 'staged' });
      expect(staged.map((f) => f.path).sort()).toEqual(['a/02.ulg', 'b/03.ulg']);
      for (const f of staged) expect(f.sha256).toBe(sha256Hex(files[f.path]!));
      const [failed] = world.catalog.listFiles({ state: 'failed' });
      expect(failed).toMatchObject({ path: BAD, attempts: FAST.maxAttempts });
      expect(failed!.reason).toContain('OpenFileRO refused');
      expect(failed!.reason).toContain(`(${FAST.maxAttempts} attempts)`);
      // Each failed attempt stepped aside (downloading → downloading with a later retryAt), and the
      // others went first: both were staged before the bad file's second attempt.
      const events = world.catalog.history(undefined, { limit: 100 });
      const asides = events.filter((e) => e.fileId === failed!.fileId && e.fromState === 'downloading' && e.toState === 'downloading');
      expect(asides.length).toBe(FAST.maxAttempts - 1);
      const firstAside = Math.min(...asides.map((e) => e.id));
      const secondTry = Math.max(...asides.map((e) => e.id));
      for (const f of staged) {
        const stagedAt = events.find((e) => e.fileId === f.fileId && e.toState === 'staged')!.id;
        expect(stagedAt).toBeGreaterThan(firstAside);
        expect(stagedAt).toBeLessThan(secondTry);
      }
      expect(pipeline.health.snapshot.state).toBe('degraded');
      expect(pipeline.health.snapshot.cause?.message).toContain(BAD);
    });
  }
});

describe('failing files step aside: any source', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(() => world.cleanup());

  it('a file listed but answered "not found" at every read (an FTP 550 on RETR) fails after N attempts instead of coming back for ever', async () => {
    await world.writeFiles('cam', { 'gone.bin': patternBytes(1000, 1), 'ok.bin': patternBytes(2000, 2) });
    const inner = world.source('cam');
    let reads = 0;
    // The device lists the file and refuses it, as an FTP server answering 550 to RETR does.
    const refusing: Source = {
      ...inner,
      id: inner.id,
      features: inner.features,
      list: () => inner.list(),
      read: (path, offset, options) => {
        if (path !== 'gone.bin') return inner.read(path, offset, options);
        reads++;
        return (async function* () {
          throw new PermanentError('not-found', `${path}: 550 No such file`);
        })();
      },
      close: () => inner.close(),
    };
    const config = world.config([{ source: 'cam', targets: ['nas'] }]);
    const pipeline = new SourcePipeline(refusing, world.staging, world.catalog, buildRouting(config.routes), {
      pollIntervalMs: 20,
      downloader: FAST,
    });
    await runUntil(pipeline, () => world.catalog.counts().files.failed === 1, 'the refused file failed');
    expect(reads).toBe(FAST.maxAttempts);
    expect(world.catalog.listFiles({ state: 'staged' }).map((f) => f.path)).toEqual(['ok.bin']);
    expect(world.catalog.listFiles({ state: 'failed' })[0]).toMatchObject({ path: 'gone.bin', attempts: FAST.maxAttempts });
    expect(pipeline.health.snapshot).toMatchObject({ state: 'degraded' });
  });
});
