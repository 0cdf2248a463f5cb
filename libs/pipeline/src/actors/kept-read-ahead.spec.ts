import { describe, expect, it } from 'vitest';
import { KeptReadAhead, afterKept } from './kept-read-ahead';

const chunk = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);

async function collect(chunks: AsyncIterable<Uint8Array>, stopAfter = Number.POSITIVE_INFINITY): Promise<number[]> {
  const out: number[] = [];
  for await (const c of chunks) {
    out.push(...c);
    if (out.length >= stopAfter) break;
  }
  return out;
}

describe('read-ahead kept for the next read', () => {
  it('is handed to a read from exactly where it starts, once', () => {
    const kept = new KeptReadAhead();
    kept.keep('a', 10, [chunk(1, 2)]);
    expect(kept.take('a', 10)).toEqual([chunk(1, 2)]);
    expect(kept.take('a', 10)).toEqual([]);
  });

  it('is dropped by a read from anywhere else, and never given to another file', () => {
    const kept = new KeptReadAhead();
    kept.keep('a', 10, [chunk(1)]);
    kept.keep('b', 10, [chunk(2)]);
    expect(kept.take('a', 11)).toEqual([]);
    expect(kept.take('a', 10)).toEqual([]);
    expect(kept.take('b', 10)).toEqual([chunk(2)]);
  });

  it('expires', async () => {
    const kept = new KeptReadAhead(20);
    kept.keep('a', 0, [chunk(1)]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(kept.take('a', 0)).toEqual([]);
  });

  it('is followed by the device read from the byte after it, which is not started if the reader stops within it', async () => {
    const starts: number[] = [];
    const rest = async function* (at: number): AsyncGenerator<Uint8Array> {
      starts.push(at);
      yield chunk(9);
    };
    expect(await collect(afterKept([chunk(1, 2), chunk(3)], 100, rest))).toEqual([1, 2, 3, 9]);
    expect(starts).toEqual([103]);
    expect(await collect(afterKept([chunk(1, 2), chunk(3)], 100, rest), 2)).toEqual([1, 2]);
    expect(starts).toEqual([103]);
  });
});
