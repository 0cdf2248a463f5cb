import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { describeSourceConformance, describeTargetConformance } from '@filesync/core/testing';
import { createFtpSource } from './ftp-source';
import { createFtpTarget } from './ftp-target';
import { type ExternalServer, pyftpdlibMissing, startPyftpdlib } from './test-support/pyftpdlib-process';

// The same suites against a server not built on ftp-srv (Python's pyftpdlib: MLSD, no HASH), so
// the device does not lean on one server's quirks. CI installs python3-pyftpdlib (.ci/run).
const missing = await pyftpdlibMissing();
let server: Promise<ExternalServer> | undefined;
let n = 0;
afterAll(async () => (await server)?.stop());

async function subdir(prefix: string): Promise<{ s: ExternalServer; dir: string; base: string }> {
  server ??= startPyftpdlib();
  const s = await server;
  const dir = `${prefix}${++n}`;
  const base = join(s.root, dir);
  await mkdir(base, { recursive: true });
  return { s, dir, base };
}

if (missing) {
  describe('pyftpdlib', () => {
    it.skip(`skipped: ${missing}`, () => undefined);
  });
} else {
  describeTargetConformance('ftp target on pyftpdlib (no server hash: downloads to compare)', {
    collisionPolicies: ['rename', 'overwrite', 'skip'],
    async setup({ collision }) {
      const { s, dir, base } = await subdir('t');
      return {
        target: createFtpTarget({ id: 'ftp', url: `${s.url}/${dir}`, user: s.user, password: s.password, collision }),
        readStored: (location) => readFile(join(base, location)).then((b) => new Uint8Array(b), () => undefined),
        placeStored: async (path, bytes) => {
          await mkdir(dirname(join(base, path)), { recursive: true });
          await writeFile(join(base, path), bytes);
        },
        cleanup: async () => undefined,
      };
    },
  });

  describeTargetConformance('ftp target on pyftpdlib resuming with REST+STOR', {
    collisionPolicies: ['rename'],
    async setup({ collision }) {
      const { s, dir, base } = await subdir('r');
      return {
        target: createFtpTarget({ id: 'ftp', url: `${s.url}/${dir}`, user: s.user, password: s.password, collision, resumeWith: 'REST+STOR' }),
        readStored: (location) => readFile(join(base, location)).then((b) => new Uint8Array(b), () => undefined),
        cleanup: async () => undefined,
      };
    },
  });

  describeSourceConformance('ftp source on pyftpdlib (MLSD)', {
    async setup(files) {
      const { s, dir, base } = await subdir('s');
      for (const [path, bytes] of Object.entries(files)) {
        await mkdir(dirname(join(base, path)), { recursive: true });
        await writeFile(join(base, path), bytes);
      }
      return { source: createFtpSource({ id: 'ftp-src', url: `${s.url}/${dir}`, user: s.user, password: s.password }), cleanup: async () => undefined };
    },
  });
}
