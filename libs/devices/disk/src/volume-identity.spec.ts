import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMountInfo } from './mount-table';
import { findDrive, readVolumeLinks, volumeKey, volumeSourceId } from './volume-identity';

describe('volume identity', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'fs-disk-id-'));
    await mkdir(join(root, 'dev'));
    await mkdir(join(root, 'disk/by-uuid'), { recursive: true });
    await mkdir(join(root, 'disk/by-label'), { recursive: true });
    for (const node of ['sdb1', 'sdc1']) await writeFile(join(root, 'dev', node), '');
    await symlink('../../dev/sdb1', join(root, 'disk/by-uuid/1A2B-3C4D'));
    await symlink('../../dev/sdb1', join(root, 'disk/by-label/FLIR\\x20DUO'));
    await symlink('../../dev/sdc1', join(root, 'disk/by-uuid/5E6F-7A8B'));
    await symlink('../../dev/gone', join(root, 'disk/by-uuid/DEAD-0000'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const table = (): ReturnType<typeof parseMountInfo> =>
    parseMountInfo(
      [
        `27 1 259:2 / / rw - ext4 /dev/nvme0n1p2 rw`,
        `90 27 8:17 /DCIM ${root}/bind rw - vfat ${root}/dev/sdb1 rw`,
        `91 27 8:17 / ${root}/media/FLIR\\040DUO rw - vfat ${root}/dev/sdb1 rw`,
        `92 27 8:33 / ${root}/media/OTHER rw - exfat ${root}/dev/sdc1 rw`,
      ].join('\n'),
    );

  it('reads udev links by device, unescaping \\x20, and skips links to vanished devices', async () => {
    const links = await readVolumeLinks(join(root, 'disk'));
    expect(links.uuidOf.get(join(root, 'dev/sdb1'))).toBe('1A2B-3C4D');
    expect(links.labelOf.get(join(root, 'dev/sdb1'))).toBe('FLIR DUO');
    expect([...links.uuidOf.values()]).not.toContain('DEAD-0000');
  });

  it('matches by uuid (any case), label or mount point, ignores bind mounts, and requires every given key', async () => {
    const links = await readVolumeLinks(join(root, 'disk'));
    const mountPoint = join(root, 'media/FLIR DUO');
    for (const match of [{ uuid: '1a2b-3c4d' }, { label: 'FLIR DUO' }, { mountPoint: `${mountPoint}/` }]) {
      expect(await findDrive(match, table(), links), JSON.stringify(match)).toMatchObject({
        uuid: '1A2B-3C4D',
        label: 'FLIR DUO',
        mountPoint,
        mountId: '91',
        fsType: 'vfat',
      });
    }
    expect(await findDrive({ uuid: '1A2B-3C4D', label: 'OTHER' }, table(), links)).toBeUndefined();
    expect(await findDrive({ uuid: '5E6F-7A8B' }, table(), links)).toMatchObject({ label: undefined, fsType: 'exfat' });
  });

  it('names the source after the volume UUID, with a device hash only when no UUID is known', () => {
    const drive = { device: '/dev/sdb1', mountPoint: '/media/x', mountId: '1', fsType: 'vfat', uuid: '1A2B-3C4D', label: 'FLIR' };
    expect(volumeSourceId('flir', drive)).toBe('flir:1A2B-3C4D');
    const anonymous = { ...drive, uuid: undefined };
    expect(volumeKey(anonymous)).toMatch(/^dev-[0-9a-f]{12}$/);
    expect(volumeKey(anonymous)).toBe(volumeKey({ ...anonymous, mountId: '2' }));
  });
});
