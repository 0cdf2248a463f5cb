import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMountInfo, readMountTable } from './mount-table';

const SAMPLE = [
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '27 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw',
  '412 27 8:17 / /media/pi/FLIR\\040DUO rw,nosuid,nodev,relatime shared:233 - vfat /dev/sdb1 rw,fmask=0022,dmask=0022',
  'garbage line',
  '',
].join('\n');

describe('mount table', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('parses mountinfo, unescaping octal escapes and skipping lines it cannot read', () => {
    const entries = parseMountInfo(SAMPLE);
    expect(entries).toHaveLength(3);
    expect(entries[2]).toEqual({
      mountId: '412',
      root: '/',
      mountPoint: '/media/pi/FLIR DUO',
      fsType: 'vfat',
      source: '/dev/sdb1',
    });
  });

  it('keeps optional fields out of the way (several before the dash)', () => {
    const [entry] = parseMountInfo('50 27 8:1 / /mnt/x rw shared:5 master:3 unbindable - exfat /dev/sdc1 rw');
    expect(entry).toMatchObject({ mountPoint: '/mnt/x', fsType: 'exfat', source: '/dev/sdc1' });
  });

  it('reads a /Volumes-style directory as one entry per volume, labelled by name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-volumes-'));
    dirs.push(dir);
    await mkdir(join(dir, 'FLIR'));
    await mkdir(join(dir, 'Macintosh HD'));
    await writeFile(join(dir, '.DS_Store'), '');
    const entries = await readMountTable(dir);
    expect(entries.map((e) => e.label).sort()).toEqual(['FLIR', 'Macintosh HD']);
    expect(entries.find((e) => e.label === 'FLIR')?.mountPoint).toBe(join(dir, 'FLIR'));
  });

  it('classifies a missing table as a permanent not-found error', async () => {
    await expect(readMountTable(join(tmpdir(), 'no-such-mountinfo-xyz'))).rejects.toMatchObject({ code: 'not-found' });
  });
});
