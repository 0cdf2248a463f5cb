import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@filesync/core';
import { type MountEvent, MountWatcher } from './mount-watcher';

describe('MountWatcher', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'fs-disk-watch-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const line = (id: number): string => `${id} 27 8:17 / ${root}/media/FLIR rw - vfat /dev/sdz9 rw`;

  it('polls on its clock and reports mounted, removed, and a quick re-mount as removed then mounted', async () => {
    const mountinfo = join(root, 'mountinfo');
    await writeFile(mountinfo, '');
    const clock = new ManualClock();
    const watcher = new MountWatcher({ mountTable: mountinfo, diskDir: join(root, 'disk'), match: { mountPoint: `${root}/media/FLIR` }, pollMs: 100, clock });
    const events: string[] = [];
    watcher.subscribe((e: MountEvent) => events.push(`${e.type} ${e.drive.mountId}`));
    await watcher.start();
    expect(events).toEqual([]);
    expect(clock.pending()).toBe(1);

    await writeFile(mountinfo, line(5));
    // The poll timer starts a look; check() joins the look in progress.
    clock.advance(100);
    await watcher.check();
    expect(events).toEqual(['disk.drive-mounted 5']);
    // Pulled and put back between two looks: a new mount id, so it still shows.
    await writeFile(mountinfo, line(6));
    clock.advance(100);
    await watcher.check();
    expect(events).toEqual(['disk.drive-mounted 5', 'disk.drive-removed 5', 'disk.drive-mounted 6']);
    await writeFile(mountinfo, '');
    await watcher.check();
    expect(events.at(-1)).toBe('disk.drive-removed 6');
    expect(watcher.current()).toBeUndefined();
    watcher.close();
    expect(clock.pending()).toBe(0);
  });

  it('keeps the last known drive when the table cannot be read, and reports why', async () => {
    const mountinfo = join(root, 'mountinfo');
    await writeFile(mountinfo, line(7));
    const watcher = new MountWatcher({ mountTable: mountinfo, diskDir: join(root, 'disk'), match: { mountPoint: `${root}/media/FLIR` }, clock: new ManualClock() });
    await watcher.start();
    expect(watcher.current()?.mountId).toBe('7');
    await rm(mountinfo);
    await watcher.check();
    expect(watcher.current()?.mountId).toBe('7');
    expect(watcher.lastError()).toMatchObject({ code: 'not-found' });
    await writeFile(mountinfo, '');
    await watcher.check();
    expect(watcher.current()).toBeUndefined();
    expect(watcher.lastError()).toBeUndefined();
    watcher.close();
  });

  it('matches a /Volumes-style table by label', async () => {
    const volumes = join(root, 'Volumes');
    await mkdir(join(volumes, 'FLIR'), { recursive: true });
    const watcher = new MountWatcher({ mountTable: volumes, diskDir: join(root, 'none'), match: { label: 'FLIR' }, clock: new ManualClock() });
    await watcher.start();
    expect(watcher.current()).toMatchObject({ label: 'FLIR', mountPoint: join(volumes, 'FLIR'), uuid: undefined });
    watcher.close();
  });
});
