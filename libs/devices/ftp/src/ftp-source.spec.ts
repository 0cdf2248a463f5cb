import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import { describeSourceConformance } from '@filesync/core/testing';
import { createFtpSource } from './ftp-source';
import { type SimulatorProcess, startSimulatorProcess } from './test-support/simulator-process';

let sim: Promise<SimulatorProcess> | undefined;
let n = 0;
afterAll(async () => (await sim)?.stop());

describeSourceConformance('ftp source on the simulator (ftp-srv: LIST + MDTM, no MLSD)', {
  async setup(files) {
    sim ??= startSimulatorProcess();
    const s = await sim;
    const dir = `s${++n}`;
    const base = join(s.root, dir);
    await mkdir(base, { recursive: true });
    for (const [path, bytes] of Object.entries(files)) {
      await mkdir(dirname(join(base, path)), { recursive: true });
      await writeFile(join(base, path), bytes);
    }
    return {
      source: createFtpSource({ id: 'ftp-src', url: `${s.url}/${dir}`, user: s.user, password: s.password }),
      cleanup: async () => undefined,
    };
  },
});
