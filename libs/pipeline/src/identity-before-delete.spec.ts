import { appendFile, mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { type Source, type SourceEntry, type Target, TransientError } from '@filesync/core';
import type { Config } from '@filesync/core/config';
import { createFtpSource } from '@filesync/device-ftp';
import { patternBytes, sha256Hex } from '@filesync/core/testing';
import { Pipeline } from './pipeline';
import { type World, makeWorld, waitFor } from './testing/fixture';
import { startFtpSim } from './testing/ftp-simulator';

// Identity before delete (issue 17, items 1 and 4) through a whole pipeline under `move`, on real
// files: the cleaner removes a path only if the version there is the one every target verified.

/** A source whose listing can be frozen at what it showed last (a device briefly unreachable, a stale cache). */
function freezable(inner: Source): Source & { freeze(): Promise<void>; thaw(): void } {
  let last: SourceEntry[] = [];
  let frozen = false;
  let inFlight: Promise<unknown> = Promise.resolve();
  return {
    ...inner,
    async *list() {
      if (!frozen) {
        const listing = (async () => {
          const now: SourceEntry[] = [];
          for await (const e of inner.list()) now.push(e);
          last = now;
        })();
        inFlight = listing.catch(() => undefined);
        await listing;
      }
      yield* last;
    },
    /** From now on every listing shows the last one; resolves once a listing under way has ended. */
    async freeze() {
      frozen = true;
      await inFlight;
    },
    thaw() {
      frozen = false;
    },
  };
}

/** A target that refuses every call while `down` is set. */
function gated(inner: Target): Target & { down: boolean } {
  const wrapper = {
    down: false,
    id: inner.id,
    features: inner.features,
    guard(): void {
      if (wrapper.down) throw new TransientError('disconnected', `${inner.id} is down`);
    },
    stat: async (p: string) => (wrapper.guard(), inner.stat(p)),
    partialSize: async (p: string) => (wrapper.guard(), inner.partialSize(p)),
    write: async (p: string, o: number, d: AsyncIterable<Uint8Array>) => (wrapper.guard(), inner.write(p, o, d)),
    commit: async (p: string, e: { size: number; sha256: string }) => (wrapper.guard(), inner.commit(p, e)),
    close: () => inner.close(),
  };
  return wrapper;
}

function withSettle(config: Config, settleSec: number): Config {
  return { ...config, sources: config.sources.map((s) => ({ ...s, settleSec })) };
}

/** The device a scenario runs on: its files live in `world.sourceDir('cam')` either way. */
interface Device {
  readonly name: string;
  open(world: World): Promise<{ source: Source; stop(): Promise<void> }>;
}

const local: Device = { name: 'local', open: async (world) => ({ source: world.source('cam'), stop: async () => undefined }) };

const ftp: Device = {
  name: 'FTP (simulator process)',
  async open(world) {
    await mkdir(world.sourceDir('cam'), { recursive: true });
    const { ready, child } = await startFtpSim(world.sourceDir('cam'));
    const source = createFtpSource({ id: 'cam', url: ready['ftp']!, user: 'u', password: 'p', keepAliveMs: 0 });
    return {
      source,
      async stop() {
        await source.close();
        await killed(child);
      },
    };
  },
};

async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

for (const device of [local, ftp]) {
  describe(`identity before delete (${device.name} source, policy move)`, () => {
    let world: World;
    let pipeline: Pipeline | undefined;
    let stopDevice: (() => Promise<void>) | undefined;
    beforeEach(async () => {
      world = await makeWorld();
    });
    afterEach(async () => {
      await pipeline?.stop();
      pipeline = undefined;
      await stopDevice?.();
      stopDevice = undefined;
      await world.cleanup();
    });
    const openSource = async (): Promise<Source> => {
      const { source, stop } = await device.open(world);
      stopDevice = stop;
      return source;
    };

    const targetContents = async (): Promise<string[]> => [...(await world.readTree(world.targetDir('nas'))).values()].map((b) => sha256Hex(b));

    it('keeps a file rewritten under the same name after its old version was staged, and copies the new version', async () => {
      const v1 = patternBytes(50_000, 1);
      const v2 = patternBytes(70_000, 2);
      await world.writeFiles('cam', { 'DCIM/IMG_0001.JPG': v1 });
      const source = freezable(await openSource());
      const nas = gated(world.target('nas'));
      nas.down = true;
      const config = withSettle(world.config([{ source: 'cam', targets: ['nas'], policy: 'move' }]), 0);
      pipeline = new Pipeline({ config, catalog: world.catalog, staging: world.staging, sources: [source], targets: [nas] });
      pipeline.start();
      await waitFor(() => world.catalog.counts().files.staged === 1, 20_000, 'the first version staged');
      // The camera restarts its counter after a format while its listing is not refreshed: the same
      // name now holds other pictures.
      await source.freeze();
      await writeFile(join(world.sourceDir('cam'), 'DCIM/IMG_0001.JPG'), v2);
      nas.down = false;
      await waitFor(() => world.catalog.counts().files.delivered === 1, 20_000, 'the first version delivered');
      // Sweeps run at every scan (50 ms here): give the cleaner a few.
      await new Promise((r) => setTimeout(r, 500));
      expect(await readdir(join(world.sourceDir('cam'), 'DCIM'))).toEqual(['IMG_0001.JPG']);
      source.thaw();
      await waitFor(async () => (await readdir(join(world.sourceDir('cam'), 'DCIM'))).length === 0, 20_000, 'the new version moved');
      expect((await targetContents()).sort()).toEqual([sha256Hex(v1), sha256Hex(v2)].sort());
      // Two versions, each its own file: the new one moved, the old one delivered (and later found gone).
      const versions = world.catalog.listFiles({ sourceId: 'cam' });
      expect(versions.map((f) => f.size).sort()).toEqual([50_000, 70_000]);
      expect(versions.find((f) => f.size === 70_000)?.state).toBe('removed');
    });

    it.runIf(device === local)('copies a file rewritten in place with the same size and mtime after it was staged, then moves it', async () => {
      const v1 = patternBytes(60_000, 3);
      const v2 = patternBytes(60_000, 4);
      const path = join(world.sourceDir('cam'), 'DCIM/IMG_0002.JPG');
      await world.writeFiles('cam', { 'DCIM/IMG_0002.JPG': v1 });
      // A whole second, so that setting it back is exact (a Date or a float of seconds rounds).
      const mtime = 1_780_000_000;
      await utimes(path, mtime, mtime);
      const nas = gated(world.target('nas'));
      nas.down = true;
      const config = withSettle(world.config([{ source: 'cam', targets: ['nas'], policy: 'move' }]), 0);
      const source = freezable(await openSource());
      pipeline = new Pipeline({ config, catalog: world.catalog, staging: world.staging, sources: [source], targets: [nas] });
      pipeline.start();
      await waitFor(() => world.catalog.counts().files.staged === 1, 20_000, 'the first version staged');
      // Other bytes written into the same inode, the mtime set back: size and mtime (the catalog's key,
      // all a listing shows) say nothing changed; only the fingerprint (ctime) does. No listing sees
      // the file half-written (the writer's own in-between states are other, short-lived versions).
      await source.freeze();
      await writeFile(path, v2);
      await utimes(path, mtime, mtime);
      source.thaw();
      nas.down = false;
      await waitFor(async () => (await readdir(join(world.sourceDir('cam'), 'DCIM'))).length === 0, 15_000, 'the rewritten version moved');
      expect((await targetContents()).sort()).toEqual([sha256Hex(v1), sha256Hex(v2)].sort());
      const versions = world.catalog.listFiles({ sourceId: 'cam' });
      expect(versions).toHaveLength(2);
      const rewritten = versions.find((f) => f.versionOf !== null);
      expect(rewritten?.sha256).toBe(sha256Hex(v2));
      expect(rewritten?.state).toBe('removed');
    });

    it('delivers a file that grows while the pipeline runs only whole, once stable, and never removes it before', async () => {
      const path = join(world.sourceDir('cam'), 'logs/flight.ulg');
      await world.writeFiles('cam', { 'logs/flight.ulg': Buffer.from('record 0\n') });
      const config = withSettle(world.config([{ source: 'cam', targets: ['nas'], policy: 'move' }]), 1.5);
      pipeline = new Pipeline({ config, catalog: world.catalog, staging: world.staging, sources: [await openSource()], targets: [world.target('nas')] });
      pipeline.start();
      // A logger appending a record every 100 ms for 2.5 s: a listing never sees it stable for 1.5 s.
      let expected = 'record 0\n';
      for (let i = 1; i <= 25; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const record = `record ${i}\n`;
        await appendFile(path, record);
        expected += record;
        // Never removed while the writer still writes.
        expect((await readdir(join(world.sourceDir('cam'), 'logs'))).length).toBe(1);
      }
      await waitFor(async () => (await readdir(join(world.sourceDir('cam'), 'logs'))).length === 0, 20_000, 'the log moved');
      // Every version on the target is the whole file: no prefix was delivered.
      expect(await targetContents()).toEqual([sha256Hex(Buffer.from(expected))]);
    });
  });
}
