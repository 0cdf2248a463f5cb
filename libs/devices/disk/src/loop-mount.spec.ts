import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caught, collect, patternBytes } from '@filesync/core/testing';
import { createDiskDevice } from './disk-device';

/**
 * Optional: a real file system on a loop device, mounted and lazily unmounted under a reader, with the
 * kernel's own /proc/self/mountinfo. Runs only where it can (root, losetup, mkfs.ext4); CI without
 * them skips it, and nothing else depends on it. There is no udev here, so the by-uuid link is made
 * by hand, pointing at the loop device as udev would.
 */
function canLoopMount(): boolean {
  if (process.getuid?.() !== 0 || process.platform !== 'linux') return false;
  try {
    execFileSync('losetup', ['-f'], { stdio: 'ignore' });
    execFileSync('mkfs.ext4', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const UUID = '5f1e0c2a-8d4b-4c1e-9a7f-0123456789ab';
const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' }).trim();

describe.skipIf(!canLoopMount())('real loop-device mount (optional)', () => {
  let root: string;
  let loop: string | undefined;
  let mountPoint: string;
  const big = patternBytes(300 * 1024, 9);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'fs-disk-loop-'));
    const image = join(root, 'card.img');
    await writeFile(image, new Uint8Array());
    run('truncate', ['-s', '8M', image]);
    run('mkfs.ext4', ['-q', '-U', UUID, '-L', 'FLIRLOOP', image]);
    loop = run('losetup', ['-f', '--show', image]);
    mountPoint = join(root, 'media', 'FLIRLOOP');
    await mkdir(mountPoint, { recursive: true });
    run('mount', [loop, mountPoint]);
    await mkdir(join(mountPoint, '20190403_122014'));
    await writeFile(join(mountPoint, '20190403_122014/20190403_122537_816_R.jpg'), big);
    await mkdir(join(root, 'disk/by-uuid'), { recursive: true });
    await symlink(loop, join(root, 'disk/by-uuid', UUID));
  });
  afterAll(async () => {
    // One hook, in order: a file system still mounted keeps the loop device and the directory busy.
    if (mountPoint) {
      try {
        execFileSync('umount', [mountPoint], { stdio: 'ignore' });
      } catch {
        execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
      }
    }
    if (loop) execFileSync('losetup', ['-d', loop], { stdio: 'ignore' });
    await rm(root, { recursive: true, force: true });
  });

  it('finds the volume by UUID in the kernel mount table, and a lazy unmount mid-read is device-gone; a remount continues', async () => {
    const device = createDiskDevice({
      id: 'flir',
      match: { uuid: UUID },
      mountTable: '/proc/self/mountinfo',
      diskDir: join(root, 'disk'),
      readChunkBytes: 64 * 1024,
      mountPollMs: 60_000,
    });
    await device.start();
    const source = device.current();
    expect(source?.id).toBe(`flir:${UUID}`);
    expect(source?.drive).toMatchObject({ fsType: 'ext4', device: loop, mountPoint });
    const path = '20190403_122014/20190403_122537_816_R.jpg';
    const first = await source!.readChunk(path, 0);
    expect(first.bytes.length).toBe(64 * 1024);

    run('umount', ['-l', mountPoint]);
    expect(await caught(() => collect(source!.read(path, first.bytes.length)))).toMatchObject({ kind: 'transient', code: 'device-gone' });
    expect(await device.check()).toBeUndefined();

    run('mount', [loop!, mountPoint]);
    const again = await device.check();
    expect(again?.id).toBe(source!.id);
    const rest = await collect(again!.read(path, first.bytes.length));
    expect(Buffer.concat([first.bytes, rest]).equals(Buffer.from(big))).toBe(true);
    await device.close();
  });
});
