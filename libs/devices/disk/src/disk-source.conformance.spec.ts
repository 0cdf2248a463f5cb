import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { describeSourceConformance } from '@filesync/core/testing';
import { type FlashSimProcess, startFlashSimProcess } from '../test/flash-sim-process';
import { createDiskDevice } from './disk-device';

let sim: FlashSimProcess;
beforeAll(async () => {
  sim = await startFlashSimProcess(['--empty', '--no-insert']);
});
afterAll(async () => {
  await sim?.stop();
});

describeSourceConformance('removable drive (flash simulator)', {
  async setup(files) {
    const card = await sim.post<{ uuid: string }>('/cards', { content: false });
    for (const [path, bytes] of Object.entries(files)) {
      const file = join(sim.cardDir(card.uuid), path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, bytes);
    }
    await sim.post('/insert', { uuid: card.uuid });
    const device = createDiskDevice({
      id: 'flir',
      match: { uuid: card.uuid },
      mountTable: sim.ready.mountTable,
      diskDir: sim.ready.diskDir,
      readChunkBytes: 64 * 1024,
      mountPollMs: 60_000,
    });
    await device.start();
    const source = device.current();
    if (!source) throw new Error(`card ${card.uuid} was inserted but the device did not see it`);
    return {
      source,
      async cleanup() {
        await device.close();
        await sim.post('/unplug');
      },
    };
  },
});
