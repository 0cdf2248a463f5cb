import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListProblem, SourceEntry } from '@filesync/core';
import { createFtpSource } from './ftp-source';
import { type SimulatorProcess, startSimulatorProcess } from './test-support/simulator-process';
import type { ExternalServer } from './test-support/pyftpdlib-process';
import { giveToFtpUser, startVsftpd, vsftpdMissing } from './test-support/vsftpd-process';

async function listAll(source: ReturnType<typeof createFtpSource>): Promise<{ paths: string[]; problems: ListProblem[] }> {
  const entries: SourceEntry[] = [];
  const problems: ListProblem[] = [];
  try {
    for await (const e of source.list({ onProblem: (p) => problems.push(p) })) entries.push(e);
  } finally {
    await source.close();
  }
  return { paths: entries.map((e) => e.path).sort(), problems };
}

describe('ftp source: walks that always finish (ftp-srv follows symlinks: a loop looks like directories)', () => {
  let sim: SimulatorProcess;
  beforeAll(async () => {
    sim = await startSimulatorProcess();
  });
  afterAll(async () => sim?.stop());

  it('a directory symlink loop is listed once and reported as a cycle', async () => {
    const base = join(sim.root, 'loop');
    await mkdir(join(base, 'logs', 'day1'), { recursive: true });
    await writeFile(join(base, 'top.bin'), 't');
    await writeFile(join(base, 'logs', 'day1', 'a.ulg'), 'a');
    await symlink(join(base, 'logs'), join(base, 'logs', 'day1', 'back'));
    const source = createFtpSource({ id: 'ftp', url: `${sim.url}/loop`, user: sim.user, password: sim.password });
    const { paths, problems } = await listAll(source);
    expect(paths).toEqual(['logs/day1/a.ulg', 'top.bin']);
    expect(problems).toEqual([{ path: 'logs/day1/back', scope: 'tree', reason: expect.stringMatching(/cycle.*same directory as logs/) }]);
  }, 30_000);
});

const missing = vsftpdMissing();
describe.skipIf(missing !== undefined)('ftp source: one unreadable directory (vsftpd, a chmod 000 directory) does not end the walk', () => {
  let server: ExternalServer;
  beforeAll(async () => {
    server = await startVsftpd();
  });
  afterAll(async () => server?.stop());

  it('lists the rest and reports the directory', async () => {
    const base = join(server.root, 'walk');
    await mkdir(join(base, 'a'), { recursive: true });
    await mkdir(join(base, 'locked'), { recursive: true });
    await mkdir(join(base, 'z'), { recursive: true });
    await writeFile(join(base, 'a', 'one.bin'), '1');
    await writeFile(join(base, 'locked', 'two.bin'), '2');
    await writeFile(join(base, 'z', 'three.bin'), '3');
    await giveToFtpUser(base);
    await chmod(join(base, 'locked'), 0o000);
    const source = createFtpSource({ id: 'ftp', url: `${server.url}/walk`, user: server.user, password: server.password });
    const { paths, problems } = await listAll(source);
    expect(paths).toEqual(['a/one.bin', 'z/three.bin']);
    expect(problems).toEqual([{ path: 'locked', scope: 'tree', reason: expect.stringMatching(/550|permission/i) }]);
  }, 30_000);
});
