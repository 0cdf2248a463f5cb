import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Source, Target } from '@filesync/core';
import { chunksOf, collect, patternBytes, sha256Hex } from '@filesync/core/testing';
import { createFtpSource } from './ftp-source';
import { createFtpTarget } from './ftp-target';
import { type ExternalServer, pyftpdlibMissing, startPyftpdlib } from './test-support/pyftpdlib-process';
import { giveToFtpUser, startVsftpd, vsftpdMissing } from './test-support/vsftpd-process';

/**
 * Names reach the server as they are (issue 17 items 5 and 12), on real servers: a `\` is part of a
 * name, never a separator; a 255-byte name is stored although `name.part` would be 260 bytes.
 */

/** 255 bytes of UTF-8: the longest name ext4 (and so both servers here) can hold. */
const LONGEST = `${'é'.repeat(100)}${'n'.repeat(51)}.ulg`;

const servers: { name: string; missing: string | undefined; start: () => Promise<ExternalServer>; own: (path: string) => Promise<void> }[] = [
  { name: 'pyftpdlib', missing: await pyftpdlibMissing(), start: startPyftpdlib, own: async () => undefined },
  { name: 'vsftpd', missing: vsftpdMissing(), start: startVsftpd, own: giveToFtpUser },
];

const started: Promise<ExternalServer>[] = [];
afterAll(async () => {
  for (const s of started) await (await s).stop();
});

/** Yields `bytes` in chunks, then fails after `failAfter` bytes: a connection lost mid-upload. */
async function* cutAfter(bytes: Uint8Array, failAfter: number): AsyncIterable<Uint8Array> {
  for (let at = 0; at < failAfter; at += 4096) yield bytes.subarray(at, Math.min(at + 4096, failAfter));
  throw new Error('connection lost mid-upload');
}

for (const server of servers) {
  describe.skipIf(server.missing !== undefined)(`names on ${server.name}${server.missing ? ` (skipped: ${server.missing})` : ''}`, () => {
    let s: ExternalServer;
    let n = 0;
    const open: (Source | Target)[] = [];
    async function area(): Promise<{ url: string; base: string }> {
      if (!s) {
        const p = server.start();
        started.push(p);
        s = await p;
      }
      const dir = `names${++n}`;
      const base = join(s.root, dir);
      await mkdir(base, { recursive: true });
      await server.own(base);
      return { url: `${s.url}/${dir}`, base };
    }
    afterAll(async () => {
      for (const d of open) await d.close();
    });

    it('a 255-byte name is stored under its own name; the in-transit copy fits too, and a crash leftover is resumed', async () => {
      expect(Buffer.byteLength(LONGEST)).toBe(255);
      const { url, base } = await area();
      const target = createFtpTarget({ id: 'ftp', url, user: s.user, password: s.password, collision: 'rename' });
      open.push(target);
      const bytes = patternBytes(300_000, 3);
      // First attempt dies halfway: the in-transit copy stays on the server under a short hidden name.
      await expect(target.write(LONGEST, 0, cutAfter(bytes, 120_000))).rejects.toThrow();
      const left = await target.partialSize(LONGEST);
      expect(left).toBeGreaterThan(0);
      const leftovers = (await readdir(base)).filter((f) => f.endsWith('.part'));
      expect(leftovers).toHaveLength(1);
      expect(Buffer.byteLength(leftovers[0]!)).toBeLessThanOrEqual(255);
      // The retry finds it (same name, computed again) and resumes from where the server has it.
      await target.write(LONGEST, left, chunksOf(bytes.subarray(left)));
      const receipt = await target.commit(LONGEST, { size: bytes.length, sha256: sha256Hex(bytes) });
      expect(receipt).toEqual({ location: LONGEST, outcome: 'committed' });
      expect(sha256Hex(new Uint8Array(await readFile(join(base, LONGEST))))).toBe(sha256Hex(bytes));
      expect(await readdir(base)).toEqual([LONGEST]);
    });

    it('a name longer than the server can hold (256 bytes) fails that file with the reason, leaving no copy', async () => {
      const { url, base } = await area();
      const target = createFtpTarget({ id: 'ftp', url, user: s.user, password: s.password, collision: 'rename' });
      open.push(target);
      const bytes = patternBytes(1000, 6);
      const name = `${LONGEST}x`;
      const err = await (async () => {
        await target.write(name, 0, chunksOf(bytes));
        await target.commit(name, { size: bytes.length, sha256: sha256Hex(bytes) });
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ kind: 'permanent', code: 'bad-request' });
      expect((err as Error).message).toMatch(/256 bytes/);
      expect(await readdir(base)).toEqual([]);
    });

    it('a source name holding "\\" is read and removed as itself, never as the path it would make with "/"', async () => {
      const { url, base } = await area();
      const own = patternBytes(5000, 1);
      const other = patternBytes(7000, 2);
      await writeFile(join(base, 'x\\y.txt'), own);
      await mkdir(join(base, 'x'));
      await writeFile(join(base, 'x', 'y.txt'), other);
      await server.own(base);
      const source = createFtpSource({ id: 'src', url, user: s.user, password: s.password });
      open.push(source);
      const listed: [string, number][] = [];
      for await (const e of source.list()) listed.push([e.path, e.size]);
      expect(listed.sort()).toEqual([
        ['x/y.txt', 7000],
        ['x\\y.txt', 5000],
      ]);
      expect(sha256Hex(await collect(source.read('x\\y.txt', 0)))).toBe(sha256Hex(own));
      await source.remove!('x\\y.txt');
      expect(await readdir(base)).toEqual(['x']);
      expect(sha256Hex(new Uint8Array(await readFile(join(base, 'x', 'y.txt'))))).toBe(sha256Hex(other));
    });

    it('a target name holding "\\" is stored as that one file', async () => {
      const { url, base } = await area();
      const target = createFtpTarget({ id: 'ftp', url, user: s.user, password: s.password, collision: 'rename' });
      open.push(target);
      const bytes = patternBytes(3000, 4);
      await target.write('a\\b.txt', 0, chunksOf(bytes));
      expect(await target.commit('a\\b.txt', { size: bytes.length, sha256: sha256Hex(bytes) })).toEqual({ location: 'a\\b.txt', outcome: 'committed' });
      expect(await readdir(base)).toEqual(['a\\b.txt']);
    });
  });
}
