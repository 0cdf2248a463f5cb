import { randomBytes } from 'node:crypto';
import { MessageChannel } from 'node:worker_threads';
import { PermanentError, TransientError, release } from '@filesync/core';
import { describe, expect, it } from 'vitest';
import { cancelByteStream, ChunkPool, receiveByteStream, sendByteStream, STREAM_WINDOW } from './byte-stream';

function bytes(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

/** A source of `count` chunks that records how many were pulled and whether it was closed. */
function countingSource(count: number): { chunks: AsyncIterable<Uint8Array>; pulled: () => number; closed: () => boolean } {
  let pulled = 0;
  let closed = false;
  async function* gen(): AsyncGenerator<Uint8Array> {
    try {
      for (let i = 0; i < count; i++) {
        pulled++;
        yield bytes(4, i);
      }
    } finally {
      closed = true;
    }
  }
  return { chunks: gen(), pulled: () => pulled, closed: () => closed };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe('byte stream over a port', () => {
  it('delivers every chunk in order and ends', async () => {
    const { port1, port2 } = new MessageChannel();
    const source = countingSource(50);
    const sent = sendByteStream(port1, source.chunks);
    const got: number[] = [];
    for await (const chunk of receiveByteStream(port2)) got.push(chunk[0] ?? -1);
    expect(await sent).toBeUndefined();
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('pulls the source no further than the window ahead of what the receiver took', async () => {
    const { port1, port2 } = new MessageChannel();
    const source = countingSource(100);
    const sent = sendByteStream(port1, source.chunks);
    const it = receiveByteStream(port2)[Symbol.asyncIterator]();
    await it.next();
    await tick();
    // One taken, the window still out: the sender may not have pulled more than that.
    expect(source.pulled()).toBeLessThanOrEqual(STREAM_WINDOW + 1);
    expect(source.pulled()).toBeGreaterThanOrEqual(STREAM_WINDOW);
    for (let i = 0; i < 10; i++) await it.next();
    await tick();
    expect(source.pulled()).toBeLessThanOrEqual(STREAM_WINDOW + 11);
    await it.return?.();
    await sent;
    expect(source.closed()).toBe(true);
  });

  it('a receiver that stops early stops the sender quietly, which hands back what it read ahead and closes its source', async () => {
    const { port1, port2 } = new MessageChannel();
    const source = countingSource(1000);
    const onStop = new AbortController();
    const sent = sendByteStream(port1, source.chunks, { onStop });
    let n = 0;
    for await (const _ of receiveByteStream(port2)) if (++n === 3) break;
    const outcome = await sent;
    expect(outcome?.takenBytes).toBe(3 * 4);
    // Read ahead and not taken: the chunks right after the third, in order, none lost.
    expect(outcome?.untaken.map((c) => c[0])).toEqual(Array.from({ length: source.pulled() - 3 }, (_, i) => i + 3));
    expect(outcome?.untaken.length).toBeLessThanOrEqual(STREAM_WINDOW + 1);
    expect(source.closed()).toBe(true);
    expect(onStop.signal.aborted).toBe(true);
  });

  it('a chunk being produced when the receiver stops quietly is waited for and handed back, not cut short', async () => {
    const { port1, port2 } = new MessageChannel();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* gated(): AsyncGenerator<Uint8Array> {
      yield bytes(1, 0);
      yield bytes(1, 1);
      await gate;
      yield bytes(1, 99);
    }
    const onStop = new AbortController();
    const sent = sendByteStream(port1, gated(), { onStop, graceMs: 5_000 });
    const it = receiveByteStream(port2)[Symbol.asyncIterator]();
    await it.next();
    await tick();
    await it.return?.();
    await tick();
    expect(onStop.signal.aborted).toBe(false);
    release();
    const outcome = await sent;
    expect(outcome).toEqual({ takenBytes: 1, untaken: [bytes(1, 1), bytes(1, 99)] });
  });

  it("the source's error reaches the receiver with its class and code", async () => {
    const { port1, port2 } = new MessageChannel();
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield bytes(2, 1);
      throw new TransientError('device-gone', 'the card went away');
    }
    const sent = sendByteStream(port1, failing()).catch((err: unknown) => err);
    const got: Uint8Array[] = [];
    const received = (async () => {
      for await (const chunk of receiveByteStream(port2)) got.push(chunk);
    })();
    await expect(received).rejects.toMatchObject({ name: 'TransientError', code: 'device-gone', message: 'the card went away' });
    expect(await sent).toMatchObject({ message: 'the card went away' });
    expect(got).toHaveLength(1);
  });

  it("a receiver that cannot take the data fails the sender with its reason and stops the chunk being made", async () => {
    const { port1, port2 } = new MessageChannel();
    const onStop = new AbortController();
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield bytes(2, 1);
      await new Promise((_, reject) => onStop.signal.addEventListener('abort', () => reject(onStop.signal.reason)));
    }
    const sent = sendByteStream(port1, slow(), { onStop }).catch((err: unknown) => err);
    const it = receiveByteStream(port2)[Symbol.asyncIterator]();
    await it.next();
    cancelByteStream(port2, new PermanentError('no-space', 'the target is full'));
    expect(await sent).toMatchObject({ name: 'PermanentError', code: 'no-space' });
    expect(onStop.signal.aborted).toBe(true);
  });

  it("a sender's abort fails the receiver with the abort's reason", async () => {
    const { port1, port2 } = new MessageChannel();
    const abort = new AbortController();
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 10_000; i++) {
        yield bytes(1, i & 0xff);
        await tick();
      }
    }
    const sent = sendByteStream(port1, endless(), { signal: abort.signal }).catch((err: unknown) => err);
    const it = receiveByteStream(port2)[Symbol.asyncIterator]();
    await it.next();
    abort.abort(new TransientError('cancelled', 'the uploader gave up'));
    expect(await sent).toMatchObject({ code: 'cancelled' });
    await expect((async () => { for (;;) if ((await it.next()).done) return; })()).rejects.toMatchObject({ code: 'cancelled', message: 'the uploader gave up' });
  });

  it('a port closed without an end is a disconnect, not an end of file', async () => {
    const { port1, port2 } = new MessageChannel();
    const received = (async () => {
      for await (const _ of receiveByteStream(port2)) void _;
    })();
    port1.postMessage({ kind: 'chunk', data: bytes(1, 0) });
    port1.close();
    await expect(received).rejects.toMatchObject({ name: 'TransientError', code: 'disconnected' });
  });

  it("moves a copy: the source's own buffer stays usable", async () => {
    const { port1, port2 } = new MessageChannel();
    const pool = new Uint8Array(64).fill(7);
    const slice = pool.subarray(8, 16);
    const sent = sendByteStream(port1, (async function* () { yield slice; })());
    const got: Uint8Array[] = [];
    for await (const chunk of receiveByteStream(port2)) got.push(chunk);
    await sent;
    expect(pool.byteLength).toBe(64);
    expect(slice.byteLength).toBe(8);
    expect(got).toEqual([new Uint8Array(8).fill(7)]);
  });
  it('with moveReleased, moves a released chunk as it is and copies any other', async () => {
    const { port1, port2 } = new MessageChannel();
    const fresh = release(new Uint8Array(16).fill(1));
    const kept = new Uint8Array(16).fill(2);
    const part = release(new Uint8Array(32).fill(3)).subarray(0, 16);
    const sent = sendByteStream(port1, (async function* () { yield fresh; yield kept; yield part; })(), { moveReleased: true });
    const got: Uint8Array[] = [];
    for await (const chunk of receiveByteStream(port2)) got.push(chunk);
    await sent;
    expect(got).toEqual([new Uint8Array(16).fill(1), new Uint8Array(16).fill(2), new Uint8Array(16).fill(3)]);
    // Moved, not copied: the sender's buffer is gone. The others (not released, or not filling their buffer) stay.
    expect([fresh.byteLength, kept.byteLength, part.byteLength]).toEqual([0, 16, 16]);
  });

  it('with a pool, gives it the buffer of each released chunk the receiver took, never one it did not take', async () => {
    const { port1, port2 } = new MessageChannel();
    const given: ArrayBuffer[] = [];
    const pool = new ChunkPool();
    const give = pool.give.bind(pool);
    pool.give = (b) => void (given.push(b), give(b));
    const chunks = Array.from({ length: STREAM_WINDOW + 4 }, (_, i) => (i === 1 ? new Uint8Array(16).fill(i) : release(new Uint8Array(16).fill(i))));
    const buffers = chunks.map((c) => c.buffer);
    const sent = sendByteStream(port1, (async function* () { yield* chunks; })(), { pool });
    const it = receiveByteStream(port2)[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) expect((await it.next()).value).toEqual(new Uint8Array(16).fill(i));
    await tick();
    // Chunk 2 counts as taken once chunk 3 is asked for; chunk 1 is not released (its producer may still use it).
    expect(given.map((b) => buffers.indexOf(b))).toEqual([0]);
    await it.return?.();
    const outcome = await sent;
    // Those read ahead and never taken are handed back, their bytes intact, and not given to the pool
    // (which may have lent the given ones for later chunks' copies).
    expect(given.map((b) => buffers.indexOf(b))).toEqual([0, 2]);
    expect(outcome?.untaken.map((c) => c[0])).toEqual(chunks.slice(3, 3 + outcome!.untaken.length).map((c) => c[0]));
    expect(outcome!.untaken.every((c) => c.byteLength === 16)).toBe(true);
  });

  it('a pool lends only a buffer of exactly the size asked, keeps at most its max, and lets go of all once left alone', async () => {
    const pool = new ChunkPool(2, 30);
    const a = new ArrayBuffer(16);
    pool.give(a);
    pool.give(new ArrayBuffer(32));
    pool.give(new ArrayBuffer(16));
    expect(pool.size).toBe(2);
    expect(pool.take(8)).toBeUndefined();
    expect(pool.take(16)).toBe(a);
    await tick();
    await tick();
    expect(pool.size).toBe(0);
  });

  it('with returnBuffers, a quiet stop moves back the buffers of the chunks that came and were never taken', async () => {
    const { port1, port2 } = new MessageChannel();
    const pool = new ChunkPool();
    const sent = sendByteStream(port1, (async function* () { for (let i = 0; i < 100; i++) yield bytes(64, i); })(), { pool });
    const it = receiveByteStream(port2, undefined, { returnBuffers: true })[Symbol.asyncIterator]();
    await it.next();
    await tick();
    await it.return?.();
    await sent;
    // The window came and one was taken (its consumer may still hold it: it asked for no next one);
    // the other buffers came back with the stop.
    expect(pool.size).toBe(STREAM_WINDOW - 1);
  });

  describe('with returnBuffers', () => {
    it('copies later chunks into the buffers the receiver gave back, every byte in order', async () => {
      const { port1, port2 } = new MessageChannel();
      // Shrinking sizes: a chunk that lands in a bigger, given-back buffer shows the reuse.
      const sources = Array.from({ length: 40 }, (_, i) => randomBytes(4000 - i * 10));
      const sent = sendByteStream(port1, (async function* () { yield* sources; })());
      const got: Buffer[] = [];
      let reused = 0;
      for await (const chunk of receiveByteStream(port2, undefined, { returnBuffers: true })) {
        if (chunk.buffer.byteLength > chunk.byteLength) reused++;
        // Done with it before asking for the next, as the staging's append is.
        got.push(Buffer.from(chunk));
      }
      expect(await sent).toBeUndefined();
      expect(Buffer.concat(got).equals(Buffer.concat(sources))).toBe(true);
      expect(reused).toBeGreaterThanOrEqual(40 - STREAM_WINDOW - 1);
      // The source's own buffers were copied from, never moved or written.
      expect(sources.every((b, i) => b.byteLength === 4000 - i * 10)).toBe(true);
    });

    it('a chunk kept past the next pull reads as empty, never as the bytes of a later chunk', async () => {
      const { port1, port2 } = new MessageChannel();
      const sent = sendByteStream(port1, (async function* () { for (let i = 0; i < 20; i++) yield bytes(100, i); })());
      const kept: Uint8Array[] = [];
      for await (const chunk of receiveByteStream(port2, undefined, { returnBuffers: true })) kept.push(chunk);
      await sent;
      // Each went back when the next was asked for, the last one when the end was.
      expect(kept).toHaveLength(20);
      expect(kept.every((c) => c.byteLength === 0)).toBe(true);
    });

    it('a quiet early stop still hands back the source\'s own read-ahead chunks', async () => {
      const { port1, port2 } = new MessageChannel();
      const source = countingSource(100);
      const sent = sendByteStream(port1, source.chunks);
      let n = 0;
      for await (const chunk of receiveByteStream(port2, undefined, { returnBuffers: true })) {
        expect(chunk[0]).toBe(n);
        if (++n === 12) break;
      }
      const outcome = await sent;
      expect(outcome?.takenBytes).toBe(12 * 4);
      expect(outcome?.untaken.map((c) => c[0])).toEqual(Array.from({ length: outcome?.untaken.length ?? 0 }, (_, i) => 12 + i));
    });
  });
});
