import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flirJpeg, flirMp4, writeFlirCard } from './flir-content';

const small = { sessions: 2, imagesPerSession: 3, videosPerSession: 1, jpegBytes: [3000, 6000], videoBytes: [20_000, 30_000] } as const;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('FLIR Duo-like content', () => {
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'fs-flir-'));
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('writes radiometric JPEGs with JPEG and FLIR markers, of exactly the size asked', () => {
    for (const size of [600, 5000, 400 * 1024]) {
      const jpg = flirJpeg(size, 7);
      expect(jpg.length).toBe(size);
      expect([jpg[0], jpg[1]]).toEqual([0xff, 0xd8]);
      expect([jpg[size - 2], jpg[size - 1]]).toEqual([0xff, 0xd9]);
      const text = Buffer.from(jpg).toString('latin1');
      expect(text).toContain('Exif\0\0');
      expect(text).toContain('FLIR\0');
      expect(text).toContain('Duo R');
    }
  });

  it('writes MP4s that start with an ftyp box and hold an mdat', () => {
    const mp4 = flirMp4(50_000, 3);
    expect(mp4.length).toBe(50_000);
    expect(Buffer.from(mp4.subarray(4, 12)).toString('latin1')).toBe('ftypisom');
    expect(Buffer.from(mp4).toString('latin1')).toContain('mdat');
  });

  it('names files like the camera and is deterministic by seed', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    const filesA = await writeFlirCard(a, 5, 5, small);
    const filesB = await writeFlirCard(b, 5, 5, small);
    expect(filesA).toEqual(filesB);
    expect(filesA).toHaveLength(8);
    expect(filesA[0]!.path).toMatch(/^\d{8}_\d{6}\/\d{8}_\d{6}_\d{3}_R\.jpg$/);
    expect(filesA.filter((f) => f.path.endsWith('.mp4'))).toHaveLength(2);
    for (const f of filesA) {
      expect(sha(await readFile(join(a, f.path)))).toBe(sha(await readFile(join(b, f.path))));
      const st = await stat(join(a, f.path));
      expect(st.size).toBe(f.size);
      expect(Math.trunc(st.mtimeMs)).toBe(f.mtimeMs);
    }
  });

  it('gives a second card the same names but different bytes when only the byte seed differs', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    const filesA = await writeFlirCard(a, 9, 1, small);
    const filesB = await writeFlirCard(b, 9, 2, small);
    expect(filesB.map((f) => f.path)).toEqual(filesA.map((f) => f.path));
    const path = filesA[0]!.path;
    expect(sha(await readFile(join(a, path)))).not.toBe(sha(await readFile(join(b, path))));
  });
});
