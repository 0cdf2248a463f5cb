import { afterEach, describe, expect, it } from 'vitest';
import type { CollisionPolicy, Target } from '../src/target';
import { caught, chunksOf, collect, patternBytes, sha256Hex } from './fixtures';

/** What a device brings to the shared target suite. */
export interface TargetHarness {
  /** Makes a fresh, empty target with the given collision policy. */
  setup(options: { collision: CollisionPolicy }): Promise<TargetFixture>;
  /** Collision policies the target implements; upload sites that name files themselves give []. */
  collisionPolicies: readonly CollisionPolicy[];
  /** Bytes of the largest file the suite may send; default 300 KiB. */
  largeFileBytes?: number;
}

export interface TargetFixture {
  readonly target: Target;
  /** Reads a committed file as stored on the target's side (bypassing `target`), or undefined if absent. */
  readStored(location: string): Promise<Uint8Array | undefined>;
  /** Places a file at the final location behind the target's back (for collision tests). */
  placeStored?(path: string, bytes: Uint8Array): Promise<void>;
  cleanup(): Promise<void>;
}

/** Registers the target conformance tests in the calling spec file. */
export function describeTargetConformance(name: string, harness: TargetHarness): void {
  describe(`Target conformance: ${name}`, () => {
    const large = harness.largeFileBytes ?? 300 * 1024;
    let fixture: TargetFixture | undefined;
    const open = async (collision: CollisionPolicy = harness.collisionPolicies[0] ?? 'rename'): Promise<TargetFixture> => {
      fixture = await harness.setup({ collision });
      return fixture;
    };
    afterEach(async () => {
      await fixture?.target.close();
      await fixture?.cleanup();
      fixture = undefined;
    });

    const upload = async (target: Target, path: string, bytes: Uint8Array) => {
      await target.write(path, 0, chunksOf(bytes));
      return target.commit(path, { size: bytes.length, sha256: sha256Hex(bytes) });
    };

    it('declares sane features', async () => {
      const { target } = await open();
      expect(target.id).toMatch(/\S/);
      expect(Array.isArray(target.features.hashes)).toBe(true);
    });

    it('delivers a file byte for byte, creating directories', async () => {
      const f = await open();
      const bytes = patternBytes(large, 11);
      const receipt = await upload(f.target, 'deep/dir/file.bin', bytes);
      expect(receipt.outcome).toBe('committed');
      const stored = await f.readStored(receipt.location);
      expect(stored && sha256Hex(stored)).toBe(sha256Hex(bytes));
    });

    it('keeping no chunk (keepsNoChunk), stores the right bytes from chunks that all share one reused buffer', async ({ skip }) => {
      const f = await open();
      if (f.target.features.keepsNoChunk !== true) return skip();
      const bytes = patternBytes(large, 12);
      const piece = 4096;
      const scratch = new Uint8Array(piece);
      // Each chunk is overwritten as soon as the next is asked for, as a reused read buffer is.
      async function* reused(): AsyncGenerator<Uint8Array> {
        for (let at = 0; at < bytes.length; at += piece) {
          const n = Math.min(piece, bytes.length - at);
          scratch.set(bytes.subarray(at, at + n));
          yield scratch.subarray(0, n);
        }
      }
      await f.target.write('reused.bin', 0, reused());
      const receipt = await f.target.commit('reused.bin', { size: bytes.length, sha256: sha256Hex(bytes) });
      const stored = await f.readStored(receipt.location);
      expect(stored && sha256Hex(stored)).toBe(sha256Hex(bytes));
    });

    it('delivers an empty file', async () => {
      const f = await open();
      const receipt = await upload(f.target, 'empty.bin', new Uint8Array());
      expect((await f.readStored(receipt.location))?.length).toBe(0);
    });

    it('reports nothing in transit for a new path', async () => {
      const { target } = await open();
      expect(await target.partialSize('never/written.bin')).toBe(0);
    });

    it('resumes a partial upload from the size the target reports', async ({ skip }) => {
      const f = await open();
      // Features are refined at the first connect (a target may declare resume until its server says otherwise).
      await f.target.stat('resume.bin');
      if (!f.target.features.canResume) return skip('target cannot resume');
      const bytes = patternBytes(large, 12);
      const cut = Math.floor(bytes.length / 2) + 3;
      await f.target.write('resume.bin', 0, chunksOf(bytes.subarray(0, cut)));
      const have = await f.target.partialSize('resume.bin');
      expect(have).toBe(cut);
      await f.target.write('resume.bin', have, chunksOf(bytes.subarray(have)));
      const receipt = await f.target.commit('resume.bin', { size: bytes.length, sha256: sha256Hex(bytes) });
      expect(sha256Hex((await f.readStored(receipt.location))!)).toBe(sha256Hex(bytes));
    });

    it('refuses to write at an offset other than the in-transit size', async ({ skip }) => {
      const f = await open();
      await f.target.stat('gap.bin');
      if (!f.target.features.canResume) return skip('target cannot resume');
      await f.target.write('gap.bin', 0, chunksOf(patternBytes(100, 13)));
      const err = await caught(() => f.target.write('gap.bin', 500, chunksOf(patternBytes(10, 14))));
      expect(err).toMatchObject({ kind: 'transient', code: 'conflict' });
    });

    it('refuses to commit content of the wrong size, and leaves no final file', async () => {
      const f = await open();
      const bytes = patternBytes(1000, 15);
      await f.target.write('short.bin', 0, chunksOf(bytes));
      const err = await caught(() => f.target.commit('short.bin', { size: 2000, sha256: sha256Hex(bytes) }));
      expect(err).toMatchObject({ kind: 'permanent', code: 'checksum-mismatch' });
      expect(await f.target.stat('short.bin')).toBeUndefined();
    });

    it('recognises a repeated commit (reply lost before a crash) as already present', async ({ skip }) => {
      const f = await open();
      if (harness.collisionPolicies.length === 0) return skip('upload site names files itself');
      const bytes = patternBytes(5000, 16);
      await upload(f.target, 'twice.bin', bytes);
      const again = await f.target.commit('twice.bin', { size: bytes.length, sha256: sha256Hex(bytes) });
      expect(again.outcome).toBe('already-present');
      expect((await f.target.stat('twice.bin'))?.size).toBe(bytes.length);
    });

    it('stats a committed file and says undefined for a missing one', async ({ skip }) => {
      const f = await open();
      if (harness.collisionPolicies.length === 0) return skip('upload site names files itself');
      await upload(f.target, 's/t.bin', patternBytes(321, 17));
      expect((await f.target.stat('s/t.bin'))?.size).toBe(321);
      expect(await f.target.stat('s/missing.bin')).toBeUndefined();
    });

    for (const policy of harness.collisionPolicies) {
      it(`handles a different file at the final name under "${policy}"`, async () => {
        const f = await open(policy);
        const theirs = patternBytes(700, 18);
        const ours = patternBytes(900, 19);
        if (f.placeStored) await f.placeStored('clash.bin', theirs);
        else await upload(f.target, 'clash.bin', theirs);
        const receipt = await upload(f.target, 'clash.bin', ours);
        const atName = await f.readStored('clash.bin');
        if (policy === 'overwrite') {
          expect(receipt.outcome).toBe('committed');
          expect(sha256Hex(atName!)).toBe(sha256Hex(ours));
        } else if (policy === 'rename') {
          expect(receipt.outcome).toBe('renamed');
          expect(receipt.location).not.toBe('clash.bin');
          expect(sha256Hex(atName!)).toBe(sha256Hex(theirs));
          expect(sha256Hex((await f.readStored(receipt.location))!)).toBe(sha256Hex(ours));
        } else {
          expect(receipt.outcome).toBe('skipped');
          expect(sha256Hex(atName!)).toBe(sha256Hex(theirs));
        }
      });

      it(`treats the same content at the final name as done under "${policy}"`, async () => {
        const f = await open(policy);
        const bytes = patternBytes(800, 20);
        if (f.placeStored) await f.placeStored('same.bin', bytes);
        else await upload(f.target, 'same.bin', bytes);
        const receipt = await upload(f.target, 'same.bin', bytes);
        expect(receipt.outcome).toBe('already-present');
      });
    }

    it('can read back what it committed, where it offers reads', async ({ skip }) => {
      const f = await open();
      if (!f.target.read) return skip('target offers no reads');
      const bytes = patternBytes(2048, 21);
      const receipt = await upload(f.target, 'back.bin', bytes);
      expect(sha256Hex(await collect(f.target.read(receipt.location)))).toBe(sha256Hex(bytes));
    });
  });
}
