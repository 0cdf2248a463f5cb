import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFtpSource } from './ftp-source';
import { type SimulatorProcess, startSimulatorProcess } from './test-support/simulator-process';

let sim: Promise<SimulatorProcess> | undefined;
let n = 0;
afterAll(async () => (await sim)?.stop());

async function world(size: number, maxConnections = 2) {
  sim ??= startSimulatorProcess();
  const s = await sim;
  const dir = `p${++n}`;
  await mkdir(join(s.root, dir), { recursive: true });
  const bytes = randomBytes(size);
  await writeFile(join(s.root, dir, 'clip.mp4'), bytes);
  const source = createFtpSource({ id: 'cam', url: `${s.url}/${dir}`, user: s.user, password: s.password, maxConnections });
  return { s, dir, bytes, source };
}

/** Reads from `offset` until at least `atLeast` bytes came, then stops between two chunks, as a slice ending on time does. */
async function readSome(source: ReturnType<typeof createFtpSource>, offset: number, atLeast: number): Promise<Buffer> {
  const got: Buffer[] = [];
  let length = 0;
  for await (const chunk of source.read('clip.mp4', offset)) {
    got.push(Buffer.from(chunk));
    length += chunk.length;
    if (length >= atLeast) break;
  }
  return Buffer.concat(got);
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 300));

describe('ftp source: a read stopped between chunks', () => {
  it('goes on with the same transfer at the next read from there: the server sends no byte twice', async () => {
    const { s, dir, bytes, source } = await world(4 * 1024 * 1024);
    try {
      const first = await readSome(source, 0, 256 * 1024);
      // Meanwhile the server fills the socket buffers (and our queue) ahead of the reader.
      await settle();
      const rest = await readSome(source, first.length, Infinity);
      expect(Buffer.concat([first, rest]).equals(bytes)).toBe(true);
      expect((await s.stats()).sent[`/${dir}/clip.mp4`]).toBe(bytes.length);
    } finally {
      await source.close();
    }
  });

  it('a read from another offset gets the right bytes (the kept transfer is closed)', async () => {
    const { bytes, source } = await world(2 * 1024 * 1024);
    try {
      const first = await readSome(source, 0, 128 * 1024);
      await settle();
      const from = first.length - 1000;
      const rest = await readSome(source, from, Infinity);
      expect(rest.equals(bytes.subarray(from))).toBe(true);
    } finally {
      await source.close();
    }
  });

  it('gives its connection to a listing rather than make it wait (one connection)', async () => {
    const { bytes, source } = await world(2 * 1024 * 1024, 1);
    try {
      const first = await readSome(source, 0, 128 * 1024);
      const listed = [];
      for await (const e of source.list()) listed.push(e.path);
      expect(listed).toEqual(['clip.mp4']);
      const rest = await readSome(source, first.length, Infinity);
      expect(Buffer.concat([first, rest]).equals(bytes)).toBe(true);
    } finally {
      await source.close();
    }
  });
});
