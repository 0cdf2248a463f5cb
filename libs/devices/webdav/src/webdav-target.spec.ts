import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { describeTargetConformance } from '@filesync/core/testing';
import { type RcloneWebdav, rcloneMissing, startRcloneWebdav } from '../testing/rclone-webdav';
import { createWebdavTarget } from './webdav-target';

// The shared target suite against Debian's `rclone serve webdav`: no partial PUT (so no resume) and
// no checksums in PROPFIND (so every commit reads the copy back to prove it).
const missing = rcloneMissing();
let server: Promise<RcloneWebdav> | undefined;
let n = 0;
afterAll(async () => (await server)?.stop());

if (missing) {
  describe('rclone serve webdav', () => {
    it.skip(`skipped: ${missing}`, () => undefined);
  });
} else {
  describeTargetConformance('webdav target on rclone serve webdav', {
    collisionPolicies: ['rename', 'overwrite', 'skip'],
    async setup({ collision }) {
      server ??= startRcloneWebdav();
      const s = await server;
      const dir = `t${++n}`;
      const base = join(s.root, dir);
      await mkdir(base, { recursive: true });
      return {
        target: createWebdavTarget({ id: 'dav', url: `${s.url}${dir}/`, user: s.user, password: s.password, collision }),
        readStored: (location) => readFile(join(base, location)).then((b) => new Uint8Array(b), () => undefined),
        placeStored: async (path, bytes) => {
          await mkdir(dirname(join(base, path)), { recursive: true });
          await writeFile(join(base, path), bytes);
        },
        cleanup: async () => undefined,
      };
    },
  });
}
