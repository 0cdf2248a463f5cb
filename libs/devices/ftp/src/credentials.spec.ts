import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFilesyncError, toErrorData } from '@filesync/core';
import { caught, chunksOf, patternBytes, sha256Hex } from '@filesync/core/testing';
import { classify } from './errors';
import { createFtpSource } from './ftp-source';
import { createFtpTarget } from './ftp-target';
import type { FtpLog } from './options';
import { type SimulatorProcess, startSimulatorProcess } from './test-support/simulator-process';

let sim: SimulatorProcess;
beforeAll(async () => {
  sim = await startSimulatorProcess();
});
afterAll(async () => sim?.stop());

function capture(): { log: FtpLog; text: () => string } {
  const lines: string[] = [];
  return {
    log: (level, message, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`),
    text: () => lines.join('\n'),
  };
}

/** Everything an operator could see about an error: message, stack, data sent across workers, string form. */
function everythingAbout(err: unknown): string {
  const e = err as Error;
  return [String(err), e.message, e.stack ?? '', JSON.stringify(toErrorData(err)), JSON.stringify(err)].join('\n');
}

describe('passwords never leak', () => {
  it('a failed login names the cause but not the password, in the error and in the debug log', async () => {
    const wrong = 'Wr0ng-Pa55word-Do-Not-Print';
    const sink = capture();
    const target = createFtpTarget({ id: 'ftp', url: sim.url, user: sim.user, password: wrong, log: sink.log });
    const err = await caught(() => target.partialSize('x.bin'));
    await target.close();
    expect(isFilesyncError(err)).toBe(true);
    expect(err).toMatchObject({ kind: 'permanent', code: 'permission' });
    expect(everythingAbout(err)).not.toContain(wrong);
    expect(sink.text()).toContain('PASS');
    expect(sink.text()).not.toContain(wrong);
    expect(JSON.stringify(target.describe())).not.toContain(wrong);
  });

  it('a password from an environment variable works and appears in no log line, status or error', async () => {
    const sink = capture();
    const env = { FTP_PW: sim.password };
    const target = createFtpTarget({ id: 'ftp', url: `${sim.url}/envpw`, user: sim.user, passwordEnv: 'FTP_PW', env, log: sink.log });
    const bytes = patternBytes(5000, 1);
    await target.write('a.bin', 0, chunksOf(bytes));
    await target.commit('a.bin', { size: bytes.length, sha256: sha256Hex(bytes) });
    const missing = await caught(() => target.commit('none.bin', { size: 1, sha256: sha256Hex(new Uint8Array(1)) }));
    await target.close();
    expect(sink.text()).toContain('> PASS ###');
    for (const seen of [sink.text(), JSON.stringify(target.describe()), JSON.stringify(target), everythingAbout(missing)]) {
      expect(seen).not.toContain(sim.password);
    }
  });

  it('a password from a file works and is kept out of logs; a missing variable names the field only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-ftp-pw-'));
    await writeFile(join(dir, 'pw'), `${sim.password}\n`);
    const sink = capture();
    const source = createFtpSource({ id: 'src', url: sim.url, user: sim.user, passwordFile: join(dir, 'pw'), log: sink.log });
    for await (const _ of source.list()) break;
    await source.close();
    expect(sink.text()).toMatch(/connected to ftp:\/\/127\.0\.0\.1/);
    expect(sink.text()).not.toContain(sim.password);

    const noEnv = createFtpTarget({ id: 'ftp', url: sim.url, passwordEnv: 'FILESYNC_TEST_UNSET_VAR', env: {} });
    expect(await caught(() => noEnv.partialSize('x'))).toMatchObject({ kind: 'permanent', code: 'bad-request', detail: { field: 'passwordEnv' } });
    await noEnv.close();
  });

  it('a password inside the URL is used but never shown', async () => {
    const url = sim.url.replace('ftp://', `ftp://${sim.user}:${encodeURIComponent(sim.password)}@`);
    const sink = capture();
    const target = createFtpTarget({ id: 'ftp', url, log: sink.log });
    expect(await target.partialSize('nothing.bin')).toBe(0);
    await target.close();
    expect(target.describe().url).toBe(`${sim.url}/`);
    expect(sink.text()).not.toContain(sim.password);
  });

  it('redacts the password from any server reply that echoes it', () => {
    const secret = 'echoed-Secret-99';
    const err = Object.assign(new Error(`530 Login incorrect for password ${secret}`), { code: 530 });
    const classified = classify(err, (t) => t.split(secret).join('***'));
    expect(classified.message).not.toContain(secret);
    expect(classified).toMatchObject({ code: 'permission' });
  });
});
