import { createHash, randomBytes } from 'node:crypto';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { sendBounded } from './in-flight';
import { PartBuffers, splitParts } from './parts';

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, Math.min(bytes.length, at + size));
}

describe('splitParts with PartBuffers', () => {
  it('sends 10 parts two at a time through 2 buffers (the next is filled once a send is done), each part holding its own bytes when sent', async () => {
    const partSize = 64 * 1024;
    const bytes = randomBytes(10 * partSize - 1000);
    const buffers = new PartBuffers(partSize);
    const seen = new Set<ArrayBufferLike>();
    const sent: string[] = [];
    let partNumber = 0;
    await sendBounded(splitParts(chunksOf(bytes, 10_000), partSize, undefined, buffers), 2, async (part) => {
      const n = partNumber++;
      seen.add(part.buffer);
      const before = md5(part);
      // The bytes must stay the part's until its send settles, while the next part is being filled.
      await tick();
      await tick();
      expect(md5(part)).toBe(before);
      sent[n] = before;
      buffers.giveBack(part);
    });
    expect(sent).toEqual(Array.from({ length: 10 }, (_, i) => md5(bytes.subarray(i * partSize, Math.min(bytes.length, (i + 1) * partSize)))));
    expect(seen.size).toBe(2);
  });

  it('without PartBuffers every part is a buffer of its own', async () => {
    const partSize = 16 * 1024;
    const seen = new Set<ArrayBufferLike>();
    for await (const part of splitParts(chunksOf(randomBytes(5 * partSize), 3000), partSize)) seen.add(part.buffer);
    expect(seen.size).toBe(5);
  });

  it('takes back only whole parts: the short last part of an upload is not filled again', () => {
    const buffers = new PartBuffers(1024);
    buffers.giveBack(Buffer.allocUnsafe(1024).subarray(0, 100));
    expect(buffers.take()).toBeUndefined();
    const whole = Buffer.allocUnsafe(1024);
    buffers.giveBack(whole);
    expect(buffers.take()).toBe(whole);
  });
});
