import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describeTargetConformance } from '@filesync/core/testing';
import { createLocalTarget } from './local-target';

describeTargetConformance('local directory', {
  collisionPolicies: ['rename', 'overwrite', 'skip'],
  async setup({ collision }) {
    const dir = await mkdtemp(join(tmpdir(), 'fs-local-dst-'));
    return {
      target: createLocalTarget({ id: 'local', dir, collision }),
      readStored: (location) => readFile(join(dir, location)).then((b) => new Uint8Array(b), () => undefined),
      placeStored: async (path, bytes) => {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), bytes);
      },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
});
