import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toErrorData } from '@filesync/core';
import { caught, chunksOf, collect, patternBytes, sha256Hex } from '@filesync/core/testing';
import { type RcloneWebdav, rcloneMissing, startRcloneWebdav } from '../testing/rclone-webdav';
import { type DavProxy, startDavProxy } from './test-support/dav-proxy';
import { contentRangePut, sabrePartialUpdate } from './test-support/partial-update';
import { PIECE_BYTES, type WebdavTarget, createWebdavTarget } from './webdav-target';
import type { WebdavTargetOptions } from './options';

const missing = rcloneMissing();

/** Everything an operator could see about an error: message, stack, data sent across workers, string form. */
function everythingAbout(err: unknown): string {
  const e = err as Error;
  return [String(err), e.message, e.stack ?? '', JSON.stringify(toErrorData(err)), JSON.stringify(err)].join('\n');
}

describe.skipIf(missing !== undefined)(`webdav target faults on rclone serve webdav${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let s: RcloneWebdav;
  let n = 0;
  const open: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    s = await startRcloneWebdav();
  });
  afterAll(async () => s?.stop());
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
  });

  /** A fresh folder on the server and a target on it. */
  async function area(extra: Partial<WebdavTargetOptions> = {}, base?: string): Promise<{ target: WebdavTarget; dir: string }> {
    const name = `f${++n}`;
    const dir = join(s.root, name);
    await mkdir(dir);
    const target = createWebdavTarget({ id: 'dav', url: `${base ?? s.url}${name}/`, user: s.user, password: s.password, ...extra });
    open.push(target);
    return { target, dir };
  }
  const expectedOf = (bytes: Uint8Array) => ({ size: bytes.length, sha256: sha256Hex(bytes) });

  it('never shows the file under its final name before commit: the bytes go to name.part, then MOVE', async () => {
    const { target, dir } = await area();
    const bytes = patternBytes(256 * 1024, 1);
    const finalSeen: boolean[] = [];
    async function* slow(): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunksOf(bytes, 32 * 1024)) {
        yield chunk;
        await new Promise((r) => setTimeout(r, 5));
        finalSeen.push(existsSync(join(dir, 'a/flight.ulg')));
      }
    }
    await target.write('a/flight.ulg', 0, slow());
    expect(finalSeen.length).toBeGreaterThan(4);
    expect(finalSeen.every((seen) => !seen)).toBe(true);
    expect(existsSync(join(dir, 'a/flight.ulg'))).toBe(false);
    expect((await readFile(join(dir, 'a/flight.ulg.part'))).length).toBe(bytes.length);
    const receipt = await target.commit('a/flight.ulg', expectedOf(bytes));
    expect(receipt).toEqual({ location: 'a/flight.ulg', outcome: 'committed' });
    expect(sha256Hex(await readFile(join(dir, 'a/flight.ulg')))).toBe(sha256Hex(bytes));
    expect(existsSync(join(dir, 'a/flight.ulg.part'))).toBe(false);
  });

  it('makes nested folders with MKCOL, below a configured dir too', async () => {
    const { target, dir } = await area({ dir: 'drone-7/in' });
    const bytes = patternBytes(1000, 2);
    await target.write('2026/12/06/cam/img.jpg', 0, chunksOf(bytes));
    expect(await target.commit('2026/12/06/cam/img.jpg', expectedOf(bytes))).toMatchObject({ outcome: 'committed' });
    expect(sha256Hex(await readFile(join(dir, 'drone-7/in/2026/12/06/cam/img.jpg')))).toBe(sha256Hex(bytes));
    expect((await target.stat('2026/12/06/cam/img.jpg'))?.size).toBe(1000);
  });

  it('under "rename", takes the next free suffix when -1 is taken too', async () => {
    const { target, dir } = await area({ collision: 'rename' });
    await writeFile(join(dir, 'log.ulg'), 'theirs');
    await writeFile(join(dir, 'log-1.ulg'), 'theirs too');
    const bytes = patternBytes(500, 3);
    await target.write('log.ulg', 0, chunksOf(bytes));
    expect(await target.commit('log.ulg', expectedOf(bytes))).toEqual({ location: 'log-2.ulg', outcome: 'renamed' });
    expect(await readFile(join(dir, 'log.ulg'), 'utf8')).toBe('theirs');
    expect(await readFile(join(dir, 'log-1.ulg'), 'utf8')).toBe('theirs too');
    // A commit whose reply was lost finds the renamed copy: no third copy.
    expect(await target.commit('log.ulg', expectedOf(bytes))).toEqual({ location: 'log-2.ulg', outcome: 'already-present' });
    expect((await readdir(dir)).sort()).toEqual(['log-1.ulg', 'log-2.ulg', 'log.ulg']);
  });

  it('keeps hostile names exactly: %, #, ?, \\, spaces, dots and Unicode round-trip; ".." fails with a reason', async () => {
    const { target, dir } = await area();
    const names = ['100%.bin', '%2F not a slash.bin', 'a#b?c=d&e.bin', 'back\\slash.bin', 'ünï €漢字 ☃.ulg', '...', '.hidden', 'plus+sign;semi,comma.bin', "quote'\"<>.bin"];
    for (const [i, name] of names.entries()) {
      const bytes = patternBytes(100 + i, 10 + i);
      const path = `d%41ir #1/${name}`;
      await target.write(path, 0, chunksOf(bytes));
      expect(await target.commit(path, expectedOf(bytes))).toEqual({ location: path, outcome: 'committed' });
      expect(sha256Hex(await readFile(join(dir, 'd%41ir #1', name)))).toBe(sha256Hex(bytes));
      expect((await target.stat(path))?.size).toBe(bytes.length);
      expect(sha256Hex(await collect(target.read(path)))).toBe(sha256Hex(bytes));
    }
    expect((await readdir(join(dir, 'd%41ir #1'))).sort()).toEqual([...names].sort());
    const err = await caught(() => target.write('up/../../escape.bin', 0, chunksOf(patternBytes(10, 1))));
    expect(err).toMatchObject({ kind: 'permanent', code: 'bad-request', message: expect.stringContaining('escapes its root') });
  });

  it('a wrong password is a clear permanent error that never shows the password', async () => {
    const wrong = 'Wr0ng-Pa55word-Do-Not-Print';
    const logs: string[] = [];
    const target = createWebdavTarget({ id: 'dav', url: s.url, user: s.user, password: wrong, log: (l, m, f) => logs.push(`${l} ${m} ${JSON.stringify(f)}`) });
    open.push(target);
    const err = await caught(() => target.write('x.bin', 0, chunksOf(patternBytes(10, 1))));
    expect(err).toMatchObject({ kind: 'permanent', code: 'permission', message: expect.stringContaining('refused the credentials') });
    expect(everythingAbout(err)).not.toContain(wrong);
    expect(everythingAbout(err)).not.toContain(Buffer.from(`${s.user}:${wrong}`).toString('base64'));
    expect(logs.join('\n')).not.toContain(wrong);
    expect(JSON.stringify(target.describe())).not.toContain(wrong);
  });

  it('a password from an environment variable or a file logs in', async () => {
    const a = await area({ password: undefined, passwordEnv: 'DAV_PW', env: { DAV_PW: s.password } });
    await a.target.write('env.bin', 0, chunksOf(patternBytes(10, 1)));
    const file = join(s.root, 'pw.txt');
    await writeFile(file, `${s.password}\nignored second line\n`);
    const b = await area({ password: undefined, passwordFile: file });
    await b.target.write('file.bin', 0, chunksOf(patternBytes(10, 1)));
    const c = await area({ password: undefined, passwordEnv: 'NOT_SET_ANYWHERE', env: {} });
    expect(await caught(() => c.target.stat('x'))).toMatchObject({ kind: 'permanent', code: 'bad-request', detail: { field: 'passwordEnv' } });
  });

  it('after a 401 mid-run, the next call reads the password file again (a rotated password is picked up without a restart)', async () => {
    const proxy = await startDavProxy(s.url);
    open.push(proxy);
    const file = join(s.root, 'rotating-pw.txt');
    await writeFile(file, `${s.password}\n`);
    const { target } = await area({ password: undefined, passwordFile: file }, proxy.url);
    expect(await target.stat('x.bin')).toBeUndefined();
    // The server now refuses the password in use (rotated on its side) …
    proxy.hooks = {
      answer: (_req, _body, res) => {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' });
        res.end();
        return true;
      },
    };
    expect(await caught(() => target.stat('x.bin'))).toMatchObject({ kind: 'permanent', code: 'permission' });
    proxy.hooks = {};
    // … so the next call reads the file again: a wrong one there is refused, the right one works.
    await writeFile(file, 'not-it\n');
    expect(await caught(() => target.stat('x.bin'))).toMatchObject({ kind: 'permanent', code: 'permission' });
    await writeFile(file, `${s.password}\n`);
    expect(await target.stat('x.bin')).toBeUndefined();
  });

  it('a base URL that does not exist fails at once, naming it; probe (filesync doctor) says the same, and passes on a good one', async () => {
    const target = createWebdavTarget({ id: 'dav', url: `${s.url}no-such-folder/`, user: s.user, password: s.password });
    open.push(target);
    expect(await caught(() => target.partialSize('x'))).toMatchObject({ kind: 'permanent', code: 'not-found', message: expect.stringContaining('no-such-folder') });
    expect(await caught(() => target.probe())).toMatchObject({ kind: 'permanent', code: 'not-found' });
    const good = await area();
    await good.target.probe();
    const wrong = createWebdavTarget({ id: 'dav', url: s.url, user: s.user, password: 'not-the-password' });
    open.push(wrong);
    expect(await caught(() => wrong.probe())).toMatchObject({ kind: 'permanent', code: 'permission' });
  });

  it('the server killed mid-upload gives a transient error; once it is back, the upload succeeds from zero', async () => {
    const { target, dir } = await area();
    const bytes = patternBytes(512 * 1024, 4);
    async function* dies(): AsyncGenerator<Uint8Array> {
      let sent = 0;
      for await (const chunk of chunksOf(bytes, 16 * 1024)) {
        yield chunk;
        sent += chunk.length;
        if (sent === 128 * 1024) await s.kill();
      }
    }
    const err = await caught(() => target.write('big.bin', 0, dies()));
    expect(err).toMatchObject({ kind: 'transient' });
    // While it is down: transient too (connection refused), never permanent.
    expect(await caught(() => target.stat('big.bin'))).toMatchObject({ kind: 'transient', code: 'disconnected' });
    await s.restart();
    expect(target.features.canResume).toBe(false);
    expect(await target.partialSize('big.bin')).toBe(0);
    await target.write('big.bin', 0, chunksOf(bytes));
    expect(await target.commit('big.bin', expectedOf(bytes))).toMatchObject({ outcome: 'committed' });
    expect(sha256Hex(await readFile(join(dir, 'big.bin')))).toBe(sha256Hex(bytes));
  });

  it('a server that goes silent mid-answer gives a transient timeout', async () => {
    const proxy = await startDavProxy(s.url, {});
    open.push(proxy);
    const { target } = await area({ timeoutMs: 300 }, proxy.url);
    await target.partialSize('warm-up');
    proxy.hooks = { answer: (req) => req.method === 'PROPFIND' && new Promise<boolean>(() => undefined) };
    expect(await caught(() => target.stat('slow.bin'))).toMatchObject({ kind: 'transient', code: 'timeout' });
  });

  it('on a server with Sabre partial updates, writes in 1 MiB pieces: a write cut mid-way keeps every answered piece, and goes on from there', async () => {
    const counts = { patches: 0 };
    const proxy = await startDavProxy(s.url, sabrePartialUpdate(s.root, counts));
    open.push(proxy);
    const { target, dir } = await area({}, proxy.url);
    const bytes = patternBytes(5 * PIECE_BYTES + 5, 9);
    async function* cutAt(limit: number): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunksOf(bytes.subarray(0, limit), 64 * 1024)) yield chunk;
      throw new Error('staging read failed: the agent lost power here');
    }
    // 2.5 pieces sent, then the write dies: the first piece by PUT, the second by PATCH, the half piece lost.
    expect(await caught(() => target.write('long.mp4', 0, cutAt(2.5 * PIECE_BYTES)))).toBeInstanceOf(Error);
    expect(target.features.canResume).toBe(true);
    expect(counts.patches).toBe(1);
    const have = await target.partialSize('long.mp4');
    expect(have).toBe(2 * PIECE_BYTES);
    await target.write('long.mp4', have, chunksOf(bytes.subarray(have)));
    expect(counts.patches).toBe(1 + Math.ceil((bytes.length - have) / PIECE_BYTES));
    expect(await target.commit('long.mp4', expectedOf(bytes))).toMatchObject({ outcome: 'committed' });
    expect(sha256Hex(await readFile(join(dir, 'long.mp4')))).toBe(sha256Hex(bytes));

    const off = await area({ resume: false }, proxy.url);
    await off.target.write('x.bin', 0, chunksOf(bytes.subarray(0, 100)));
    expect(off.target.features.canResume).toBe(false);
    expect(await off.target.partialSize('x.bin')).toBe(0);
    expect(await caught(() => off.target.write('x.bin', 100, chunksOf(bytes.subarray(100, 200))))).toMatchObject({ kind: 'transient', code: 'conflict' });
  });

  it('after a restart, the first upload resumes: a fresh target declares canResume before its first call, which the uploader reads before it asks partialSize', async () => {
    const counts = { patches: 0 };
    const proxy = await startDavProxy(s.url, sabrePartialUpdate(s.root, counts));
    open.push(proxy);
    const before = await area({}, proxy.url);
    const bytes = patternBytes(4 * PIECE_BYTES + 3, 17);
    async function* cutAt(limit: number): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunksOf(bytes.subarray(0, limit), 64 * 1024)) yield chunk;
      throw new Error('the agent lost power here');
    }
    expect(await caught(() => before.target.write('clip.mp4', 0, cutAt(2.5 * PIECE_BYTES)))).toBeInstanceOf(Error);
    // The agent starts again: a new target on the same folder, nothing asked of the server yet.
    const after = createWebdavTarget({ id: 'dav', url: `${proxy.url}${basename(before.dir)}/`, user: s.user, password: s.password });
    open.push(after);
    // The uploader's own decision (libs/pipeline uploader.ts): features first, then partialSize.
    const offset = after.features.canResume ? await after.partialSize('clip.mp4') : 0;
    expect(offset).toBe(2 * PIECE_BYTES);
    const patches = counts.patches;
    await after.write('clip.mp4', offset, chunksOf(bytes.subarray(offset)));
    expect(counts.patches - patches).toBe(Math.ceil((bytes.length - offset) / PIECE_BYTES));
    expect(await after.commit('clip.mp4', expectedOf(bytes))).toMatchObject({ outcome: 'committed' });
    expect(sha256Hex(await readFile(join(before.dir, 'clip.mp4')))).toBe(sha256Hex(bytes));

    // Where the server turns out not to resume (rclone alone), the same first question costs nothing: 0.
    const plain = await area();
    await writeFile(join(plain.dir, 'x.bin.part'), bytes.subarray(0, 1000));
    expect(plain.target.features.canResume ? await plain.target.partialSize('x.bin') : 0).toBe(0);
    expect(plain.target.features.canResume).toBe(false);
  });

  it('probes PUT + Content-Range on a scratch file: rclone replaces the file with the piece, so no resume there; a server that honours it gets 1 MiB pieces', async () => {
    const { target, dir } = await area();
    await target.partialSize('x');
    expect(target.describe().resume).toBe('none');
    expect(target.features.canResume).toBe(false);
    expect(await readdir(dir)).toEqual([]);
    expect((await readdir(s.root)).filter((f) => f.startsWith('.filesync-probe'))).toEqual([]);

    const counts = { pieces: 0 };
    const proxy = await startDavProxy(s.url, contentRangePut(s.root, counts));
    open.push(proxy);
    const ranged = await area({}, proxy.url);
    const bytes = patternBytes(3 * PIECE_BYTES + 7, 13);
    const cut = 4096;
    await ranged.target.write('v.mp4', 0, chunksOf(bytes.subarray(0, cut)));
    expect(ranged.target.describe().resume).toBe('content-range');
    const probes = counts.pieces;
    await ranged.target.write('v.mp4', await ranged.target.partialSize('v.mp4'), chunksOf(bytes.subarray(cut)));
    expect(counts.pieces - probes).toBe(Math.ceil((bytes.length - cut) / PIECE_BYTES));
    expect(await ranged.target.commit('v.mp4', expectedOf(bytes))).toMatchObject({ outcome: 'committed' });
    expect(sha256Hex(await readFile(join(ranged.dir, 'v.mp4')))).toBe(sha256Hex(bytes));
  });

  describe('through a lying proxy', () => {
    let proxy: DavProxy;
    beforeAll(async () => {
      proxy = await startDavProxy(s.url);
    });
    afterAll(async () => proxy?.close());
    afterEach(() => {
      proxy.hooks = {};
    });

    it('catches a server that stores different bytes (read back and hashed), and gives the file no final name', async () => {
      const { target, dir } = await area({}, proxy.url);
      proxy.hooks = {
        requestBody: (req, body) => {
          if (req.method !== 'PUT' || body.length === 0) return body;
          const bad = Buffer.from(body);
          bad[bad.length >> 1] = (bad[bad.length >> 1] ?? 0) ^ 0xff;
          return bad;
        },
      };
      const bytes = patternBytes(4000, 5);
      await target.write('flipped.bin', 0, chunksOf(bytes));
      const err = await caught(() => target.commit('flipped.bin', expectedOf(bytes)));
      expect(err).toMatchObject({ kind: 'permanent', code: 'checksum-mismatch', message: expect.stringContaining('read back') });
      expect(existsSync(join(dir, 'flipped.bin'))).toBe(false);
      expect(existsSync(join(dir, 'flipped.bin.part'))).toBe(false);
      expect(proxy.seen.some((r) => r.startsWith('GET ') && r.includes('flipped.bin.part'))).toBe(true);
    });

    it('uses the server’s own SHA-256 (oc:checksums) where offered instead of reading back, and trusts it to refuse', async () => {
      const { target, dir } = await area({}, proxy.url);
      const bytes = patternBytes(3000, 6);
      let claim = sha256Hex(bytes);
      proxy.hooks = {
        response: (req, status, headers, body) => {
          if (req.method !== 'PROPFIND' || status !== 207) return {};
          const withSums = body
            .toString('utf8')
            .replace(
              /(<D:propstat><D:prop>)/,
              `<D:propstat><D:prop><oc:checksums xmlns:oc="http://owncloud.org/ns"><oc:checksum>SHA1:da39a3ee5e6b4b0d3255bfef95601890afd80709 SHA256:${claim} ADLER32:0a0b0c0d</oc:checksum></oc:checksums></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>$1`,
            );
          return { headers, body: Buffer.from(withSums) };
        },
      };
      await target.write('summed.bin', 0, chunksOf(bytes));
      const before = proxy.seen.length;
      expect(await target.commit('summed.bin', expectedOf(bytes))).toMatchObject({ outcome: 'committed' });
      expect(proxy.seen.slice(before).some((r) => r.startsWith('GET '))).toBe(false);
      claim = 'f'.repeat(64);
      await target.write('lied.bin', 0, chunksOf(bytes));
      expect(await caught(() => target.commit('lied.bin', expectedOf(bytes)))).toMatchObject({ kind: 'permanent', code: 'checksum-mismatch', message: expect.stringContaining('server sha256') });
      expect(existsSync(join(dir, 'lied.bin'))).toBe(false);
    });

    it('never takes a checksum claimed for someone else’s file as proof of same content (a move would then delete the source)', async () => {
      const { target, dir } = await area({ collision: 'rename' }, proxy.url);
      const ours = patternBytes(2500, 11);
      const theirs = patternBytes(2500, 12);
      await writeFile(join(dir, 'clash.bin'), theirs);
      // Every PROPFIND claims our SHA-256, as a Nextcloud may for a file whose client sent an OC-Checksum.
      proxy.hooks = {
        response: (req, status, headers, body) =>
          req.method === 'PROPFIND' && status === 207
            ? {
                headers,
                body: Buffer.from(
                  body
                    .toString('utf8')
                    .replace(
                      /(<D:propstat><D:prop>)/,
                      `<D:propstat><D:prop><oc:checksums xmlns:oc="http://owncloud.org/ns"><oc:checksum>SHA256:${sha256Hex(ours)}</oc:checksum></oc:checksums></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>$1`,
                    ),
                ),
              }
            : {},
      };
      await target.write('clash.bin', 0, chunksOf(ours));
      expect(await target.commit('clash.bin', expectedOf(ours))).toEqual({ location: 'clash-1.bin', outcome: 'renamed' });
      expect(sha256Hex(await readFile(join(dir, 'clash.bin')))).toBe(sha256Hex(theirs));
      expect(sha256Hex(await readFile(join(dir, 'clash-1.bin')))).toBe(sha256Hex(ours));
    });

    it('507 Insufficient Storage is a no-space error with a clear reason (transient: the Target contract wants space to be freed, then retried)', async () => {
      const { target } = await area({}, proxy.url);
      proxy.hooks = {
        answer: (req, _body, res) => {
          if (req.method !== 'PUT') return false;
          res.writeHead(507, { 'content-type': 'text/plain' });
          res.end('quota exceeded');
          return true;
        },
      };
      const err = await caught(() => target.write('full.bin', 0, chunksOf(patternBytes(100, 7))));
      expect(err).toMatchObject({ kind: 'transient', code: 'no-space', message: expect.stringContaining('no space left') });
    });

    it('a MOVE answered with success that did not happen is not taken for a delivery', async () => {
      const { target } = await area({}, proxy.url);
      const bytes = patternBytes(200, 8);
      await target.write('ghost.bin', 0, chunksOf(bytes));
      proxy.hooks = {
        answer: (req, _body, res) => {
          if (req.method !== 'MOVE') return false;
          res.writeHead(201);
          res.end();
          return true;
        },
      };
      expect(await caught(() => target.commit('ghost.bin', expectedOf(bytes)))).toMatchObject({ kind: 'transient', code: 'conflict' });
    });
  });
});
