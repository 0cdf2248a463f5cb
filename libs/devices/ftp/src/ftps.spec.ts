import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caught, chunksOf, patternBytes, sha256Hex } from '@filesync/core/testing';
import { createFtpTarget } from './ftp-target';
import { type SimulatorProcess, startSimulatorProcess } from './test-support/simulator-process';

const run = promisify(execFile);
let sim: SimulatorProcess;
let implicitSim: SimulatorProcess;
let caFile: string;

/** A throw-away CA and a server certificate for 127.0.0.1 signed by it (openssl is on every CI image). */
async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const p = (name: string): string => join(dir, name);
  await writeFile(p('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=filesync test CA']);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('srv.key'), '-out', p('srv.csr'), '-subj', '/CN=127.0.0.1']);
  await run('openssl', ['x509', '-req', '-in', p('srv.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('srv.pem'), '-days', '2', '-extfile', p('ext.cnf')]);
  return { ca: p('ca.pem'), cert: p('srv.pem'), key: p('srv.key') };
}

// openssl makes the throw-away CA; without it (a --no-install-recommends image) the suite says so and skips.
const openssl = await run('openssl', ['version']).then(
  () => undefined,
  () => 'openssl is not installed (apt-get install openssl)',
);

beforeAll(async () => {
  if (openssl) return;
  const dir = await mkdtemp(join(tmpdir(), 'fs-ftps-'));
  const certs = await makeCertificates(dir);
  caFile = certs.ca;
  sim = await startSimulatorProcess(['--tls-cert', certs.cert, '--tls-key', certs.key]);
  implicitSim = await startSimulatorProcess(['--tls-cert', certs.cert, '--tls-key', certs.key, '--implicit-tls']);
});
afterAll(async () => {
  await sim?.stop();
  await implicitSim?.stop();
});

describe.skipIf(openssl !== undefined)(`explicit FTPS${openssl ? ` (skipped: ${openssl})` : ''}`, () => {
  it('refuses a server whose certificate it cannot verify (no CA trusted): permanent, not retried', async () => {
    const target = createFtpTarget({ id: 'ftps', url: sim.url, user: sim.user, password: sim.password, secure: 'explicit' });
    const err = await caught(() => target.partialSize('x.bin'));
    await target.close();
    expect(err).toMatchObject({ kind: 'permanent', code: 'permission' });
    expect(String((err as Error).message)).toMatch(/certificate/i);
  });

  it('uploads over TLS (control and data) when told to trust the CA file', async () => {
    const target = createFtpTarget({ id: 'ftps', url: `${sim.url}/tls`, user: sim.user, password: sim.password, secure: 'explicit', caFile });
    const bytes = patternBytes(200_000, 3);
    const cut = 70_000;
    await target.write('secret.bin', 0, chunksOf(bytes.subarray(0, cut)));
    await target.write('secret.bin', await target.partialSize('secret.bin'), chunksOf(bytes.subarray(cut)));
    const receipt = await target.commit('secret.bin', { size: bytes.length, sha256: sha256Hex(bytes) });
    await target.close();
    expect(receipt.outcome).toBe('committed');
    expect(sha256Hex(new Uint8Array(await readFile(join(sim.root, 'tls', 'secret.bin'))))).toBe(sha256Hex(bytes));
  });

  it('speaks implicit FTPS (ftps://) with the CA trusted, and refuses it without', async () => {
    expect(implicitSim.url).toMatch(/^ftps:\/\//);
    const untrusted = createFtpTarget({ id: 'ftps', url: implicitSim.url, user: sim.user, password: sim.password });
    expect(await caught(() => untrusted.partialSize('x.bin'))).toMatchObject({ kind: 'permanent', code: 'permission' });
    await untrusted.close();
    const target = createFtpTarget({ id: 'ftps', url: `${implicitSim.url}/imp`, user: sim.user, password: sim.password, caFile });
    const bytes = patternBytes(50_000, 4);
    await target.write('i.bin', 0, chunksOf(bytes));
    expect((await target.commit('i.bin', { size: bytes.length, sha256: sha256Hex(bytes) })).outcome).toBe('committed');
    await target.close();
    expect(sha256Hex(new Uint8Array(await readFile(join(implicitSim.root, 'imp', 'i.bin'))))).toBe(sha256Hex(bytes));
  });

  it('names the CA file when it cannot be read', async () => {
    const target = createFtpTarget({ id: 'ftps', url: sim.url, user: sim.user, password: sim.password, secure: 'explicit', caFile: '/nonexistent/ca.pem' });
    expect(await caught(() => target.partialSize('x'))).toMatchObject({ code: 'bad-request', detail: { field: 'caFile' } });
    await target.close();
  });
});
