import type { MessagePort } from 'node:worker_threads';
import { type ChunkBuffers, type ErrorData, fromErrorData, isReleased, TransientError } from '@filesync/core';
import { errorToData } from './exit-reason';

/**
 * Bytes from one thread to another over a port of their own, with back-pressure: the receiver
 * grants credit a chunk at a time and the sender pulls its source only while it holds credit, so
 * at most `window` chunks are in flight whatever the speeds of the two ends. Each chunk's buffer is
 * moved, not cloned. Control (open, finish, commit) stays request/reply on the actors' mailboxes;
 * this carries only the data, so no chunk waits behind another message.
 */

type SenderMessage = { readonly kind: 'chunk'; readonly data: Uint8Array<ArrayBuffer> } | { readonly kind: 'end' } | { readonly kind: 'error'; readonly error: ErrorData };
/**
 * `taken`: chunks the receiver's consumer has had so far, so the sender knows which ones it did not.
 * `back`: the buffer of the chunk the consumer has dealt with, moved back for the sender's next copy;
 * on a quiet cancel, those of the chunks that came and were never taken.
 */
type ReceiverMessage =
  | { readonly kind: 'credit'; readonly n: number; readonly taken: number; readonly back?: ArrayBuffer }
  | { readonly kind: 'cancel'; readonly taken?: number; readonly error?: ErrorData; readonly back?: readonly ArrayBuffer[] };

/** Chunks in flight per stream: enough to keep both ends busy, small enough for a Pi's memory. */
export const STREAM_WINDOW = 8;

function disconnected(): TransientError {
  return new TransientError('disconnected', 'the other end of the byte stream went away (its thread stopped)');
}

/**
 * A copy the stream owns, so moving its buffer cannot detach one its source still uses (a device
 * may reuse a buffer, and a small Node Buffer is a slice of a shared pool, which a clone would copy whole).
 * It goes into a buffer the receiver moved back when one is big enough and not wastefully so: the
 * bytes then cross between two threads in the same few buffers, instead of a fresh allocation per
 * chunk that lives on, dead, in the receiver's heap until its next collection.
 */
function owned(chunk: Uint8Array, spare: ArrayBuffer[], pool: ChunkPool | undefined): Uint8Array<ArrayBuffer> {
  const i = spare.findIndex((b) => b.byteLength >= chunk.byteLength && b.byteLength <= 2 * chunk.byteLength);
  const into = i >= 0 ? spare.splice(i, 1)[0]! : pool?.take(chunk.byteLength);
  if (into === undefined) return new Uint8Array(chunk);
  const copy = new Uint8Array(into, 0, chunk.byteLength);
  copy.set(chunk);
  return copy;
}

/**
 * Buffers a sender is done with, for the next chunks of its streams, one after another: those of
 * released chunks once the receiver took their copies (nothing reads them any more), which its
 * producer reads into (core's `ChunkBuffers`, a source's `ReadOptions.buffers`), and those the
 * receiver moved back and a stream ended without using, which the next stream copies into. A file
 * read in slices (a stream per 16 MiB) then moves through the same few buffers instead of leaving
 * dead ones in the sender's heap until its next collection. Holds at most `max` buffers, and none
 * once it has gone `keepMs` untouched (a link idle after a transfer).
 */
export class ChunkPool implements ChunkBuffers {
  private free: ArrayBuffer[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly max = 3 * STREAM_WINDOW,
    private readonly keepMs = 5000,
  ) {}

  give(buffer: ArrayBuffer): void {
    if (this.free.length < this.max && buffer.byteLength > 0) this.free.push(buffer);
    this.touch();
  }

  take(bytes: number): ArrayBuffer | undefined {
    this.touch();
    const i = this.free.findIndex((b) => b.byteLength === bytes);
    return i < 0 ? undefined : this.free.splice(i, 1)[0];
  }

  get size(): number {
    return this.free.length;
  }

  private touch(): void {
    clearTimeout(this.timer);
    if (this.free.length === 0) return;
    this.timer = setTimeout(() => (this.free = []), this.keepMs);
    this.timer.unref();
  }
}

export interface SendOptions {
  /**
   * Aborted when the stream is over early. If the receiver stops while a chunk is being produced
   * (a device read under way) it is aborted at once to cut that short; between chunks the source
   * is ended first, so a device that can keep its transfer for a later read (FTP) sees a plain stop.
   */
  readonly onStop?: AbortController;
  /** The sender's own cancellation: the receiver is told with its reason, which is then thrown here. */
  readonly signal?: AbortSignal;
  /**
   * How long a chunk being produced when the receiver stops quietly may take to come, so that it
   * is kept (see `SendOutcome`) rather than cut short; default 1 s. A receiver that failed, or died,
   * cuts it short at once.
   */
  readonly graceMs?: number;
  /**
   * Chunks that fill a buffer their producer gave up (core's `release`: a fresh read) are moved as
   * they are, not copied. Their bytes are then gone from this thread: a quiet stop hands back none of
   * them in `untaken`, so a sender that keeps read-ahead (a source's read) leaves this off.
   */
  readonly moveReleased?: boolean;
  /**
   * Gets the buffer of each released chunk copied to the receiver once the receiver's consumer has
   * taken it, and at the end the buffers the receiver moved back and this stream did not use; gives
   * buffers to copy into when none came back (a stream's first chunks).
   */
  readonly pool?: ChunkPool;
}

/** How a stream ended that the receiver stopped quietly before its end. */
export interface SendOutcome {
  /** Bytes of the chunks its consumer had. */
  readonly takenBytes: number;
  /** Chunks produced and not taken (read ahead), in order, the source's own buffers. */
  readonly untaken: readonly Uint8Array[];
}

/**
 * Sends `chunks` on `port` while the receiver grants credit, then `end`, or the error that ended
 * them. Resolves when the receiver has everything (`undefined`) or stopped early on its own (what
 * it had not taken yet, to keep for a later read from there); rejects with the receiver's error if
 * it failed on the data, or `disconnected` if its thread died.
 */
export async function sendByteStream(port: MessagePort, chunks: AsyncIterable<Uint8Array>, options: SendOptions = {}): Promise<SendOutcome | undefined> {
  const { onStop, signal } = options;
  let credit = 0;
  let stopped: { readonly error?: unknown; readonly taken?: number } | undefined;
  let wake: (() => void) | undefined;
  let pulling = false;
  let graceTimer: NodeJS.Timeout | undefined;
  /**
   * The chunks sent and not known to be taken (at most the window), with their sizes: a quiet stop
   * hands them back (a moved chunk is not here to hand back: `moveReleased`).
   */
  const sent: { readonly chunk: Uint8Array | undefined; readonly bytes: number }[] = [];
  /** Buffers the receiver moved back (at most the window), for the next chunks' copies. */
  const spare: ArrayBuffer[] = [];
  /** How many chunks, and their bytes, are known taken (left `sent`). */
  let takenCount = 0;
  let takenBytes = 0;
  const forgetTaken = (taken: number): void => {
    for (; takenCount < taken && sent.length > 0; takenCount++) {
      const s = sent.shift()!;
      takenBytes += s.bytes;
      // A released chunk that was copied, not moved: its buffer is the sender's to fill again.
      if (s.chunk && isReleased(s.chunk)) options.pool?.give(s.chunk.buffer as ArrayBuffer);
    }
  };
  const stopReason = (): unknown => stopped?.error ?? new TransientError('cancelled', 'the receiver stopped reading');
  // The first reason wins: a receiver that stops quietly closes its port right after.
  const stop = (why: { readonly error?: unknown; readonly taken?: number }): void => {
    if (stopped) return;
    stopped = why;
    if (pulling && why.error === undefined) graceTimer = setTimeout(() => onStop?.abort(stopReason()), options.graceMs ?? 1000);
    else if (pulling) onStop?.abort(stopReason());
    wake?.();
  };
  const onMessage = (m: ReceiverMessage): void => {
    if (m.kind === 'cancel') {
      for (const b of m.back ?? []) options.pool?.give(b);
      return stop(m.error === undefined ? { ...(m.taken === undefined ? {} : { taken: m.taken }) } : { error: fromErrorData(m.error) });
    }
    credit += m.n;
    forgetTaken(m.taken);
    if (m.back !== undefined && m.back.byteLength > 0 && spare.length < STREAM_WINDOW) spare.push(m.back);
    wake?.();
  };
  const onClose = (): void => stop({ error: disconnected() });
  const onAbort = (): void => {
    // Told before anything else can happen on the port: the receiver's write fails with our reason.
    if (!stopped) port.postMessage({ kind: 'error', error: errorToData(signal?.reason) } satisfies SenderMessage);
    stop({ error: signal?.reason });
  };
  port.on('message', onMessage);
  port.once('close', onClose);
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  const iterator = chunks[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      while (credit === 0 && !stopped) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      if (stopped) break;
      let next: IteratorResult<Uint8Array>;
      try {
        pulling = true;
        next = await iterator.next();
      } catch (err) {
        finished = true;
        if (stopped) break;
        port.postMessage({ kind: 'error', error: errorToData(err) } satisfies SenderMessage);
        throw err;
      } finally {
        pulling = false;
        clearTimeout(graceTimer);
      }
      if (next.done) {
        finished = true;
        if (stopped) break;
        port.postMessage({ kind: 'end' } satisfies SenderMessage);
        return undefined;
      }
      const moved = options.moveReleased === true && isReleased(next.value);
      sent.push({ chunk: moved ? undefined : next.value, bytes: next.value.byteLength });
      if (stopped) break;
      credit--;
      // A released chunk (core's `release`) fills a buffer of its own that its producer never touches again.
      const data = moved ? (next.value as Uint8Array<ArrayBuffer>) : owned(next.value, spare, options.pool);
      port.postMessage({ kind: 'chunk', data } satisfies SenderMessage, [data.buffer]);
    }
    if (stopped?.error !== undefined) throw stopped.error;
    forgetTaken(stopped?.taken ?? Number.MAX_SAFE_INTEGER);
    return { takenBytes, untaken: sent.flatMap((s) => (s.chunk ? [s.chunk] : [])) };
  } finally {
    port.off('message', onMessage);
    port.off('close', onClose);
    signal?.removeEventListener('abort', onAbort);
    if (!finished) await iterator.return?.().catch(() => undefined);
    if (stopped) onStop?.abort(stopReason());
    for (const b of spare) options.pool?.give(b);
    // What was posted is still delivered before the receiver sees the close.
    port.close();
  }
}

export interface ReceiveOptions {
  /**
   * Moves each chunk's buffer back to the sender when the consumer asks for the next chunk, for the
   * sender to copy a later chunk into. A chunk is then valid only until the next one is asked for
   * (its buffer is detached: a kept chunk reads as empty, it never shows other bytes). Only for a
   * consumer that is done with a chunk by then: one that writes it out and awaits the write, or hashes it.
   */
  readonly returnBuffers?: boolean;
}

/**
 * The chunks a `sendByteStream` on the other end of `port` sends, as an async iterable. Stopping
 * early (a `break`, an abort of `signal`) tells the sender to stop; `cancelByteStream` does the same
 * from outside with the reason. The port is closed when the stream is over. It listens from this
 * call on, not from the first pull, so a sender that dies before anyone reads is still seen.
 */
export function receiveByteStream(port: MessagePort, signal?: AbortSignal, options: ReceiveOptions = {}): AsyncIterable<Uint8Array> {
  const inbox: SenderMessage[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  const onMessage = (m: SenderMessage): void => {
    inbox.push(m);
    wake?.();
  };
  const onClose = (): void => {
    closed = true;
    wake?.();
  };
  const onAbort = (): void => wake?.();
  port.on('message', onMessage);
  port.once('close', onClose);
  signal?.addEventListener('abort', onAbort);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let over = false;
    let taken = 0;
    try {
      port.postMessage({ kind: 'credit', n: STREAM_WINDOW, taken } satisfies ReceiverMessage);
      for (;;) {
        signal?.throwIfAborted();
        const m = inbox.shift();
        if (m === undefined) {
          if (closed) throw disconnected();
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if (m.kind === 'end') {
          over = true;
          return;
        }
        if (m.kind === 'error') {
          over = true;
          throw fromErrorData(m.error);
        }
        taken++;
        yield m.data;
        // Back here only once the consumer asked for more: that chunk is dealt with.
        const back = options.returnBuffers ? m.data.buffer : undefined;
        // A buffer moved on by the consumer (detached: length 0) has nothing left to give back.
        if (back !== undefined && back.byteLength > 0) port.postMessage({ kind: 'credit', n: 1, taken, back } satisfies ReceiverMessage, [back]);
        else port.postMessage({ kind: 'credit', n: 1, taken } satisfies ReceiverMessage);
      }
    } finally {
      port.off('message', onMessage);
      port.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (!over && !closed) {
        // Chunks that came and were never taken: with returnBuffers, their buffers go back too.
        const back = options.returnBuffers ? inbox.flatMap((m) => (m.kind === 'chunk' ? [m.data.buffer] : [])) : [];
        port.postMessage({ kind: 'cancel', taken, ...(back.length > 0 ? { back } : {}) } satisfies ReceiverMessage, back);
      }
      port.close();
    }
  }
  return { [Symbol.asyncIterator]: chunks };
}

/** Stops the sender on the other end of `port` with `error` (the data could not be taken), then closes it. */
export function cancelByteStream(port: MessagePort, error: unknown): void {
  port.postMessage({ kind: 'cancel', error: errorToData(error) } satisfies ReceiverMessage);
  port.close();
}
