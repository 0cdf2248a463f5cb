import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternBytes } from '@filesync/core/testing';
import { px4Crc32 } from '@filesync/mavftp-codec';
import { runMavftpCommand } from './cli';
import { type Px4Sim, makeSdRoot, startPx4Sim } from './testing/px4-sim';

describe('filesync mavftp ls|get|crc|rm', () => {
  const log = patternBytes(50_000, 3);
  let sim: Px4Sim;
  let root: string;
  let out: string;
  beforeAll(async () => {
    root = await makeSdRoot({ 'fs/microsd/log/2026-11-20/10_31_07.ulg': log, 'fs/microsd/log/2026-11-20/11_00_00.ulg': patternBytes(10, 1) });
    sim = await startPx4Sim(root, ['--no-pty', '--tx-buffer', '15000']);
    out = await mkdtemp(join(tmpdir(), 'fs-mavftp-cli-'));
  });
  afterAll(async () => {
    await sim?.stop();
    await rm(root, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  });
  const run = async (...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    let stdout = '';
    let stderr = '';
    const code = await runMavftpCommand(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
    return { code, stdout, stderr };
  };

  it('lists recursively, gets a file verified by CRC, prints the CRC, removes a file', async () => {
    const link = `udpout:${sim.udp}`;
    const ls = await run('ls', '--link', link, '-r', '@MAV_LOG');
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/50000 .*@MAV_LOG\/2026-11-20\/10_31_07\.ulg/);
    const target = join(out, 'x.ulg');
    const get = await run('get', '--link', link, '--out', target, '/fs/microsd/log/2026-11-20/10_31_07.ulg');
    expect(get.stdout).toContain('verified');
    expect(Buffer.from(await readFile(target)).equals(Buffer.from(log))).toBe(true);
    const crc = await run('crc', '--link', link, '/fs/microsd/log/2026-11-20/10_31_07.ulg');
    expect(crc.stdout.split(' ')[0]).toBe(px4Crc32(log).toString(16).padStart(8, '0'));
    expect((await run('rm', '--link', link, '/fs/microsd/log/2026-11-20/11_00_00.ulg')).code).toBe(0);
    const missing = await run('rm', '--link', link, '/fs/microsd/log/2026-11-20/11_00_00.ulg');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('[permanent not-found]');
  });

  it('answers usage mistakes with exit code 2', async () => {
    expect((await run('ls', '/x')).code).toBe(2);
    expect((await run('frobnicate', '--link', 'udpout:127.0.0.1:1', '/x')).code).toBe(2);
  });
});
