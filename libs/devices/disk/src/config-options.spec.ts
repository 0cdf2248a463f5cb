import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diskSourceSchema } from '@filesync/core/config';
import { createDiskDevice } from './disk-device';

describe('disk device from a config entry', () => {
  it('takes a parsed `disk` source config as its options (the names match), watching the table it names', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fs-disk-config-'));
    try {
      const table = join(root, 'mountinfo');
      await writeFile(table, `401 27 8:17 / ${root} rw - vfat /dev/sdz1 rw\n`);
      const config = diskSourceSchema.parse({ id: 'flir', type: 'disk', match: { mountPoint: root }, mountTable: table });
      const device = createDiskDevice({ ...config, diskDir: join(root, 'no-udev') });
      await device.start();
      expect(device.current()?.id).toMatch(/^flir:dev-[0-9a-f]{12}$/);
      expect(device.current()?.features).toEqual({ canResume: true, canRemove: true, hashes: [], parallelism: 1, identity: 'fingerprint' });
      await device.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
