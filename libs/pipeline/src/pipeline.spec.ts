import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Target, TransientError } from '@filesync/core';
import { patternBytes, sha256Hex } from '@filesync/core/testing';
import { Pipeline } from './pipeline';
import { type World, makeWorld, waitFor } from './testing/fixture';

function sampleFiles(n: number, seed: number): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < n; i++) files[`d${i % 4}/f${i}.bin`] = patternBytes(1 + ((i * 7919) % 200_000), seed + i);
  files['big/huge.bin'] = patternBytes(3 * 1024 * 1024 + 17, seed + 999);
  return files;
}

/** A target that refuses every call while `down` is set, as a server that went away. */
function flaky(inner: Target): Target & { down: boolean; calls: number } {
  const wrapper = {
    down: true,
    calls: 0,
    id: inner.id,
    features: inner.features,
    guard(): void {
      wrapper.calls++;
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

describe('pipeline end to end (local devices, real SQLite catalog)', () => {
  let world: World;
  let pipeline: Pipeline | undefined;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    await world.cleanup();
  });

  const delivered = () => world.catalog.counts().files.delivered + world.catalog.counts().files.removed;

  it('copies every file byte-identical to every target and leaves the source alone under copy', async () => {
    const files = sampleFiles(40, 1);
    await world.writeFiles('cam', files);
    const config = world.config([{ source: 'cam', targets: ['nas', 'archive'], policy: 'copy' }]);
    pipeline = new Pipeline({ config, catalog: world.catalog, staging: world.staging, sources: [world.source('cam')], targets: [world.target('nas'), world.target('archive')] });
    pipeline.start();
    await waitFor(() => delivered() === Object.keys(files).length, 30_000, 'all files delivered');
    for (const t of ['nas', 'archive']) {
      const tree = await world.readTree(world.targetDir(t));
      expect(tree.size).toBe(Object.keys(files).length);
      for (const [path, bytes] of Object.entries(files)) expect(sha256Hex(tree.get(`cam/${path}`)!), `${t} ${path}`).toBe(sha256Hex(bytes));
    }
    expect((await world.readTree(world.sourceDir('cam'))).size).toBe(Object.keys(files).length);
    expect(world.catalog.counts().files.removed).toBe(0);
    // Staging is freed once every target has a file.
    await waitFor(async () => (await world.readTree(world.staging.dir)).size === 0, 5_000, 'staging emptied');
  });

  it('under move removes each source file only after every target has it', async () => {
    const files = sampleFiles(20, 2);
    await world.writeFiles('cam', files);
    const config = world.config([{ source: 'cam', targets: ['nas', 'archive'], policy: 'move' }]);
    pipeline = new Pipeline({ config, catalog: world.catalog, staging: world.staging, sources: [world.source('cam')], targets: [world.target('nas'), world.target('archive')] });
    pipeline.start();
    await waitFor(() => world.catalog.counts().files.removed === Object.keys(files).length, 30_000, 'all files removed');
    expect((await world.readTree(world.sourceDir('cam'))).size).toBe(0);
    for (const file of world.catalog.listFiles()) {
      const events = world.catalog.history(file.fileId);
      const removedAt = events.findIndex((e) => e.toState === 'removed');
      const uploads = events.filter((e) => e.kind === 'target.state' && e.toState === 'uploaded');
      expect(uploads.length, file.path).toBe(2);
      expect(events.indexOf(uploads[1]!)).toBeLessThan(removedAt);
    }
    for (const [path, bytes] of Object.entries(files)) {
      expect(sha256Hex((await world.readTree(world.targetDir('nas'))).get(`cam/${path}`)!)).toBe(sha256Hex(bytes));
    }
  });

  it('keeps delivering to one target while the other is down, and the other catches up when it returns', async () => {
    const files = sampleFiles(15, 3);
    await world.writeFiles('cam', files);
    const down = flaky(world.target('nas'));
    const config = world.config([{ source: 'cam', targets: ['nas', 'archive'], policy: 'copy' }]);
    pipeline = new Pipeline({
      config,
      catalog: world.catalog,
      staging: world.staging,
      sources: [world.source('cam')],
      targets: [down, world.target('archive')],
      healthBackoff: { initialMs: 50, maxMs: 400, factor: 2, jitter: 0 },
    });
    pipeline.start();
    await waitFor(() => world.catalog.counts().byTarget['archive']?.uploaded === Object.keys(files).length, 30_000, 'archive complete');
    expect(world.catalog.counts().byTarget['nas']?.uploaded ?? 0).toBe(0);
    expect(pipeline.health().targets['nas']?.state).toBe('down');
    expect(pipeline.health().targets['nas']?.cause?.code).toBe('disconnected');
    const callsWhileDown = down.calls;
    expect(callsWhileDown).toBeLessThan(200); // backoff, not a spin (a spin makes thousands)
    down.down = false;
    await waitFor(() => delivered() === Object.keys(files).length, 20_000, 'nas caught up');
    expect(pipeline.health().targets['nas']?.state).toBe('up');
  }, 60_000);

  it('records a new version whose content is already on a target as done there without sending it again', async () => {
    const same = patternBytes(50_000, 4);
    await world.writeFiles('cam', { 'a/one.bin': same, 'b/two.bin': same });
    const config = world.config([{ source: 'cam', targets: ['nas'], policy: 'copy' }]);
    pipeline = new Pipeline({ config, catalog: world.catalog, staging: world.staging, sources: [world.source('cam')], targets: [world.target('nas')] });
    pipeline.start();
    await waitFor(() => delivered() === 2, 20_000, 'both delivered');
    // Same content under two names: both names exist on the target (no name is lost to dedupe).
    expect([...(await world.readTree(world.targetDir('nas'))).keys()].sort()).toEqual(['cam/a/one.bin', 'cam/b/two.bin']);
    // A new version of one.bin (mtime changed, same bytes) is not sent again.
    await utimes(join(world.sourceDir('cam'), 'a/one.bin'), new Date(), new Date(Date.now() + 5_000));
    await waitFor(() => delivered() === 3, 20_000, 'new version delivered');
    const versions = world.catalog.listFiles().filter((f) => f.path === 'a/one.bin');
    expect(versions).toHaveLength(2);
    const reasons = versions.map((f) => world.catalog.getTarget(f.fileId, 'nas')?.reason);
    expect(reasons.filter((r) => r?.startsWith('duplicate of'))).toHaveLength(1);
  });
});
