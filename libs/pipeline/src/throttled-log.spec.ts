import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, PermanentError, type Source } from '@filesync/core';
import { patternBytes } from '@filesync/core/testing';
import type { PipelineLogger } from './ports';
import { SourceCleaner } from './source-cleaner';
import { ThrottledLog, WARN_EVERY_MS } from './throttled-log';
import { type World, makeWorld } from './testing/fixture';

/** A logger that keeps its warnings. */
function recording(): PipelineLogger & { warnings: { obj: object; msg: string | undefined }[] } {
  const warnings: { obj: object; msg: string | undefined }[] = [];
  return { warnings, info() {}, error() {}, debug() {}, warn: (obj, msg) => warnings.push({ obj, msg }) };
}

describe('repeated warnings are rate-limited', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(() => world.cleanup());

  it('a remove the source refuses at every sweep is warned once, not at every poll', async () => {
    await world.writeFiles('cam', { 'kept.bin': patternBytes(10, 1) });
    // The version on the source (its real mtime): the cleaner's identity check must find it the same.
    const { mtimeMs } = await stat(join(world.sourceDir('cam'), 'kept.bin'));
    const id = world.catalog.recordFound({ sourceId: 'cam', path: 'kept.bin', size: 10, mtimeMs }, ['nas']).fileId;
    world.catalog.transitionFile(id, 'downloading');
    world.catalog.transitionFile(id, 'staged', { sha256: 'x'.repeat(64), downloadOffset: 10 });
    world.catalog.transitionTarget(id, 'nas', 'uploading');
    world.catalog.transitionTarget(id, 'nas', 'uploaded', { offset: 10 });
    world.catalog.transitionFile(id, 'delivered');
    const inner = world.source('cam');
    // The device refuses the remove (MAVFTP FileProtected, a read-only card).
    const refusing: Source = {
      ...inner,
      id: inner.id,
      features: inner.features,
      list: () => inner.list(),
      read: (p, o, r) => inner.read(p, o, r),
      remove: () => Promise.reject(new PermanentError('permission', 'kept.bin: the autopilot protects this path')),
      close: () => inner.close(),
    };
    const log = recording();
    const cleaner = new SourceCleaner(refusing, world.catalog, () => true, log);
    for (let i = 0; i < 5; i++) expect(await cleaner.sweep()).toEqual({ removed: 0, errors: 1, kept: 0 });
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]!.msg).toContain('could not remove from source: kept.bin: the autopilot protects this path');
  });

  it('says a repeated warning again after the interval, with how many were held back', () => {
    const clock = new ManualClock();
    const log = recording();
    const throttled = new ThrottledLog(log, WARN_EVERY_MS, clock);
    for (let i = 0; i < 4; i++) throttled.warn('a', { path: 'a' }, 'refused');
    throttled.warn('b', { path: 'b' }, 'refused');
    expect(log.warnings.map((w) => w.obj)).toEqual([{ path: 'a' }, { path: 'b' }]);
    clock.advance(WARN_EVERY_MS);
    throttled.warn('a', { path: 'a' }, 'refused');
    expect(log.warnings.at(-1)!.obj).toEqual({ path: 'a', repeated: 3 });
    throttled.clear('b');
    throttled.warn('b', { path: 'b' }, 'refused');
    expect(log.warnings).toHaveLength(4);
  });
});
