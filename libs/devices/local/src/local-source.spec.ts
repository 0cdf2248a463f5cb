import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describeSourceConformance } from '@filesync/core/testing';
import { createLocalSource } from './local-source';

describeSourceConformance('local directory', {
  async setup(files) {
    const dir = await mkdtemp(join(tmpdir(), 'fs-local-src-'));
    for (const [path, bytes] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), bytes);
    }
    return { source: createLocalSource({ id: 'local', dir }), cleanup: () => rm(dir, { recursive: true, force: true }) };
  },
});
