import { afterEach, describe, expect, it } from 'vitest';
import { isFilesyncError } from '../src/errors';
import type { Source } from '../src/source';
import { caught, collect, expectedHash, patternBytes } from './fixtures';

/** What a device brings to the shared source suite (after rclone's fstests). */
export interface SourceHarness {
  /** Makes a fresh source whose root holds exactly `files` (POSIX relative path → bytes). */
  setup(files: Readonly<Record<string, Uint8Array>>): Promise<SourceFixture>;
  /** Bytes of the largest file the suite may create; default 300 KiB. Slow links ask for less. */
  largeFileBytes?: number;
}

export interface SourceFixture {
  readonly source: Source;
  cleanup(): Promise<void>;
}

function sampleFiles(large: number): Record<string, Uint8Array> {
  return {
    'a.bin': patternBytes(1000, 1),
    'empty.bin': new Uint8Array(),
    'dir/b.bin': patternBytes(4097, 2),
    'dir/sub/c.bin': patternBytes(large, 3),
    'name with spaces.txt': new TextEncoder().encode('hello, world\n'),
  };
}

/** Registers the source conformance tests in the calling spec file. */
export function describeSourceConformance(name: string, harness: SourceHarness): void {
  describe(`Source conformance: ${name}`, () => {
    const files = sampleFiles(harness.largeFileBytes ?? 300 * 1024);
    let fixture: SourceFixture | undefined;
    const open = async (content: Readonly<Record<string, Uint8Array>> = files): Promise<Source> => {
      fixture = await harness.setup(content);
      return fixture.source;
    };
    afterEach(async () => {
      await fixture?.source.close();
      await fixture?.cleanup();
      fixture = undefined;
    });

    it('declares sane features', async () => {
      const source = await open({});
      expect(source.id).toMatch(/\S/);
      expect(source.features.parallelism).toBeGreaterThanOrEqual(1);
      expect(typeof source.remove === 'function').toBe(source.features.canRemove);
      expect(typeof source.checksum === 'function').toBe(source.features.hashes.length > 0);
      expect(typeof source.stat === 'function').toBe(source.features.identity !== undefined);
    });

    it('stats a file as listed (same size and mtime; a fingerprint where declared) and a missing one as not-found', async () => {
      const source = await open();
      if (!source.stat) return;
      const listed = [];
      for await (const e of source.list()) listed.push(e);
      for (const entry of listed) {
        const stat = await source.stat(entry.path);
        expect({ size: stat.size, mtimeMs: stat.mtimeMs }, entry.path).toEqual({ size: entry.size, mtimeMs: entry.mtimeMs });
        if (source.features.identity === 'fingerprint') expect(stat.fingerprint, entry.path).toMatch(/\S/);
      }
      // Every file its own fingerprint (what tells a replaced file from the one read).
      if (source.features.identity === 'fingerprint') {
        const prints = await Promise.all(listed.map(async (e) => (await source.stat!(e.path)).fingerprint));
        expect(new Set(prints).size).toBe(listed.length);
      }
      const missing = await caught(() => source.stat!('no/such/file.bin'));
      expect(isFilesyncError(missing) && missing.code, String(missing)).toBe('not-found');
    });

    it('lists every file once with its size, and no directories', async () => {
      const source = await open();
      const entries = [];
      for await (const e of source.list()) entries.push(e);
      const byPath = new Map(entries.map((e) => [e.path, e]));
      expect(entries.length).toBe(byPath.size);
      expect([...byPath.keys()].sort()).toEqual(Object.keys(files).sort());
      for (const [path, bytes] of Object.entries(files)) {
        expect(byPath.get(path)?.size, path).toBe(bytes.length);
        expect(Number.isFinite(byPath.get(path)?.mtimeMs)).toBe(true);
      }
    });

    it('lists an empty root as nothing', async () => {
      const source = await open({});
      const entries = [];
      for await (const e of source.list()) entries.push(e);
      expect(entries).toEqual([]);
    });

    it('reads whole files byte for byte', async () => {
      const source = await open();
      for (const [path, bytes] of Object.entries(files)) {
        expect(Buffer.from(await collect(source.read(path, 0))).equals(Buffer.from(bytes)), path).toBe(true);
      }
    });

    it('reads from an offset (resume) and yields nothing at or past the end', async () => {
      const source = await open();
      const big = files['dir/sub/c.bin']!;
      const cut = Math.floor(big.length / 3) + 7;
      const tail = await collect(source.read('dir/sub/c.bin', cut));
      expect(Buffer.from(tail).equals(Buffer.from(big.subarray(cut)))).toBe(true);
      expect((await collect(source.read('a.bin', 1000))).length).toBe(0);
      expect((await collect(source.read('a.bin', 5000))).length).toBe(0);
    });

    it('continues a read stopped part-way from where it stopped', async () => {
      const source = await open();
      const big = files['dir/sub/c.bin']!;
      let got = new Uint8Array();
      for await (const chunk of source.read('dir/sub/c.bin', 0)) {
        const next = new Uint8Array(got.length + chunk.length);
        next.set(got);
        next.set(chunk, got.length);
        got = next;
        if (got.length > 0) break;
      }
      const rest = await collect(source.read('dir/sub/c.bin', got.length));
      expect(got.length + rest.length).toBe(big.length);
      expect(Buffer.concat([got, rest]).equals(Buffer.from(big))).toBe(true);
    });

    it('rejects a missing path with a permanent not-found error', async () => {
      const source = await open();
      const err = await caught(() => collect(source.read('no/such/file.bin', 0)));
      expect(isFilesyncError(err), String(err)).toBe(true);
      expect(err).toMatchObject({ kind: 'permanent', code: 'not-found' });
    });

    it('computes each declared checksum as the device defines it', async ({ skip }) => {
      const source = await open();
      if (!source.checksum) return skip('no checksums declared');
      for (const hash of source.features.hashes) {
        for (const path of ['a.bin', 'empty.bin', 'dir/b.bin']) {
          expect(await source.checksum(path, hash), `${hash} ${path}`).toBe(expectedHash(hash, files[path]!));
        }
      }
      const err = await caught(() => source.checksum!('missing.bin', source.features.hashes[0]!));
      expect(err).toMatchObject({ code: 'not-found' });
    });

    it('removes a file when asked, and says not-found for a missing one', async ({ skip }) => {
      const source = await open();
      if (!source.remove) return skip('source cannot remove');
      await source.remove('dir/b.bin');
      const paths = [];
      for await (const e of source.list()) paths.push(e.path);
      expect(paths).not.toContain('dir/b.bin');
      expect(paths).toContain('a.bin');
      const err = await caught(() => source.remove!('dir/b.bin'));
      expect(err).toMatchObject({ kind: 'permanent', code: 'not-found' });
    });
  });
}
