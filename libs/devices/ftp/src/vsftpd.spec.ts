import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { describeSourceConformance, describeTargetConformance } from '@filesync/core/testing';
import { createFtpSource } from './ftp-source';
import { createFtpTarget } from './ftp-target';
import type { ExternalServer } from './test-support/pyftpdlib-process';
import { giveToFtpUser, startVsftpd, vsftpdMissing } from './test-support/vsftpd-process';

// The shared suites against Debian's vsftpd (LIST only, no MLSD, no hash): a third server, written in C.
const missing = vsftpdMissing();
let server: Promise<ExternalServer> | undefined;
let n = 0;
afterAll(async () => (await server)?.stop());

if (missing) {
  describe('vsftpd', () => {
    it.skip(`skipped: ${missing}`, () => undefined);
  });
} else {
  describeTargetConformance('ftp target on vsftpd (anonymous upload area)', {
    collisionPolicies: ['rename', 'overwrite', 'skip'],
    async setup({ collision }) {
      server ??= startVsftpd();
      const s = await server;
      const dir = `t${++n}`;
      const base = join(s.root, dir);
      return {
        target: createFtpTarget({ id: 'ftp', url: `${s.url}/${dir}`, user: s.user, password: s.password, collision }),
        readStored: (location) => readFile(join(base, location)).then((b) => new Uint8Array(b), () => undefined),
        placeStored: async (path, bytes) => {
          await mkdir(dirname(join(base, path)), { recursive: true });
          await writeFile(join(base, path), bytes);
          await giveToFtpUser(base);
        },
        cleanup: async () => undefined,
      };
    },
  });

  describeSourceConformance('ftp source on vsftpd (LIST + MDTM)', {
    async setup(files) {
      server ??= startVsftpd();
      const s = await server;
      const dir = `s${++n}`;
      const base = join(s.root, dir);
      await mkdir(base, { recursive: true });
      for (const [path, bytes] of Object.entries(files)) {
        await mkdir(dirname(join(base, path)), { recursive: true });
        await writeFile(join(base, path), bytes);
      }
      await giveToFtpUser(base);
      return { source: createFtpSource({ id: 'src', url: `${s.url}/${dir}`, user: s.user, password: s.password }), cleanup: async () => undefined };
    },
  });
}
