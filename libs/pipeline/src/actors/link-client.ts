import { MessageChannel, type MessagePort, type TransferListItem } from 'node:worker_threads';
import type { SourceFeatures, TargetFeatures } from '@filesync/core';
import { type ReceiveOptions, receiveByteStream } from '@filesync/actors/actor';
import type { ActorRefLike } from '@filesync/actors/actor';
import type { DeviceReply, LinkMessage, LinkReplies } from './link-protocol';

export type LinkRef = ActorRefLike<LinkMessage, LinkReplies>;

/** Message types that are device calls. */
type DeviceCall = Extract<LinkMessage, { type: { [K in keyof LinkReplies]: LinkReplies[K] extends DeviceReply<unknown> ? K : never }[keyof LinkReplies] }>;
type ValueOf<K extends keyof LinkReplies> = LinkReplies[K] extends DeviceReply<infer T> ? T : never;

/**
 * The stage workers' side of the link. A device call is one ask whose reply the link defers until
 * the call ends, without holding its mailbox; it has no timeout of its own, for a write may stream
 * for hours over a slow radio: a source call is bounded by the link's `stuckMs`, a target's by the
 * device's own timeouts, and a link that dies ends the wait (its port closes).
 */
export class LinkClient {
  /** The device's features as of the last reply (a device may refine them after its first connect). */
  features: SourceFeatures | TargetFeatures | undefined;

  /**
   * `stream.returnBuffers`: each chunk received is valid only until the next is asked for (see
   * `receiveByteStream`). The stage workers set it: their consumers (the staging's append, which awaits
   * each write; a read-back's hash) are done with a chunk by then.
   */
  constructor(
    readonly link: LinkRef,
    private readonly askTimeoutMs = 60_000,
    private readonly stream: ReceiveOptions = {},
  ) {}

  async call<M extends DeviceCall>(msg: M): Promise<ValueOf<M['type']>> {
    const reply = (await this.link.ask(msg, { timeoutMs: Infinity })) as DeviceReply<unknown>;
    if (reply.features) this.features = reply.features;
    return reply.value as ValueOf<M['type']>;
  }

  /** An ask answered at once (opening a stream, describing); `transfer` moves parts of it (a port). */
  ask<M extends LinkMessage>(msg: M, transfer?: readonly TransferListItem[]): Promise<LinkReplies[M['type']]> {
    return this.link.ask(msg, { timeoutMs: this.askTimeoutMs, ...(transfer ? { transfer } : {}) });
  }

  /**
   * A new port pair: `open(port)` is the message that hands the link its end (moved with it), and
   * the stream's chunks arrive on ours. Stopping early (a break, `signal`) stops the link's read.
   */
  async *receive(open: (port: MessagePort) => LinkMessage, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
    signal?.throwIfAborted();
    const { port1, port2 } = new MessageChannel();
    // Listening before the link has its end, so nothing it sends or a death of its thread is missed.
    const chunks = receiveByteStream(port1, signal, this.stream);
    try {
      await this.ask(open(port2), [port2]);
    } catch (err) {
      port1.close();
      throw err;
    }
    yield* chunks;
  }
}
