import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { describeTargetConformance } from '@filesync/core/testing';
import { type RcloneWebdav, rcloneMissing, startRcloneWebdav } from '../testing/rclone-webdav';
import { type DavProxy, startDavProxy } from './test-support/dav-proxy';
import { contentRangePut, sabrePartialUpdate } from './test-support/partial-update';
import { createWebdavTarget } from './webdav-target';

// The shared target suite against Debian's `rclone serve webdav`: no partial PUT (so no resume) and
// no checksums in PROPFIND (so every commit reads the copy back to prove it).
const missing = rcloneMissing();
let server: Promise<RcloneWebdav> | undefined;
let n = 0;
let proxy: Promise<DavProxy> | undefined;
let rangeProxy: Promise<DavProxy> | undefined;
afterAll(async () => {
  await (await proxy)?.close();
  await (await rangeProxy)?.close();
  await (await server)?.stop();
});

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

  // The same suite with resume: rclone behind a proxy that speaks Sabre's partial updates (PATCH +
  // X-Update-Range: append), as Sabre-based servers announce them in their DAV header.
  describeTargetConformance('webdav target resuming with Sabre partial updates (rclone behind a PATCH proxy)', {
    collisionPolicies: ['rename'],
    async setup({ collision }) {
      server ??= startRcloneWebdav();
      const s = await server;
      proxy ??= startDavProxy(s.url, sabrePartialUpdate(s.root));
      const p = await proxy;
      const dir = `p${++n}`;
      const base = join(s.root, dir);
      await mkdir(base, { recursive: true });
      const target = createWebdavTarget({ id: 'dav', url: `${p.url}${dir}/`, user: s.user, password: s.password, collision });
      await target.partialSize('features-are-refined-at-connect');
      if (!target.features.canResume) throw new Error('the proxy announced partial updates, but the target did not take them');
      return {
        target,
        readStored: (location) => readFile(join(base, location)).then((b) => new Uint8Array(b), () => undefined),
        cleanup: async () => undefined,
      };
    },
  });

  // And with resume by PUT + Content-Range, which the target takes only after its probe proved it.
  describeTargetConformance('webdav target resuming with PUT + Content-Range (rclone behind an Apache-like proxy)', {
    collisionPolicies: ['rename'],
    async setup({ collision }) {
      server ??= startRcloneWebdav();
      const s = await server;
      rangeProxy ??= startDavProxy(s.url, contentRangePut(s.root));
      const p = await rangeProxy;
      const dir = `c${++n}`;
      const base = join(s.root, dir);
      await mkdir(base, { recursive: true });
      const target = createWebdavTarget({ id: 'dav', url: `${p.url}${dir}/`, user: s.user, password: s.password, collision });
      await target.partialSize('features-are-refined-at-connect');
      if (target.describe().resume !== 'content-range') throw new Error(`the probe did not find Content-Range support (${target.describe().resume})`);
      return {
        target,
        readStored: (location) => readFile(join(base, location)).then((b) => new Uint8Array(b), () => undefined),
        cleanup: async () => undefined,
      };
    },
  });
}
