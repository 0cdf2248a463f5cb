import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import { describeTargetConformance } from '@filesync/core/testing';
import { createFtpTarget } from './ftp-target';
import { type SimulatorProcess, startSimulatorProcess } from './test-support/simulator-process';

let sim: Promise<SimulatorProcess> | undefined;
let n = 0;
afterAll(async () => (await sim)?.stop());

describeTargetConformance('ftp target on the simulator (ftp-srv, HASH SHA-256 offered)', {
  collisionPolicies: ['rename', 'overwrite', 'skip'],
  async setup({ collision }) {
    sim ??= startSimulatorProcess();
    const s = await sim;
    const dir = `t${++n}`;
    const base = join(s.root, dir);
    await mkdir(base, { recursive: true });
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

describeTargetConformance('ftp target on the simulator resuming with REST+STOR', {
  collisionPolicies: ['rename'],
  async setup({ collision }) {
    sim ??= startSimulatorProcess();
    const s = await sim;
    const dir = `r${++n}`;
    const base = join(s.root, dir);
    await mkdir(base, { recursive: true });
    return {
      target: createFtpTarget({ id: 'ftp', url: `${s.url}/${dir}`, user: s.user, password: s.password, collision, resumeWith: 'REST+STOR' }),
      readStored: (location) => readFile(join(base, location)).then((b) => new Uint8Array(b), () => undefined),
      cleanup: async () => undefined,
    };
  },
});
