import { MessageChannel, type MessagePort, type TransferListItem } from 'node:worker_threads';
import type { SourceFeatures, TargetFeatures } from '@filesync/core';
import { type ReceiveOptions, receiveByteStream } from '@filesync/actors/actor';
import type { ActorRefLike } from '@filesync/actors/actor';
import type { JobReply, LinkMessage, LinkReplies } from './link-protocol';

export type LinkRef = ActorRefLike<LinkMessage, LinkReplies>;

/** Message types whose reply is a job. */
type JobMessage = Extract<LinkMessage, { type: { [K in keyof LinkReplies]: LinkReplies[K] extends JobReply<unknown> ? K : never }[keyof LinkReplies] }>;
type ValueOf<K extends keyof LinkReplies> = LinkReplies[K] extends JobReply<infer T> ? T : never;

/**
 * Longest wait for the link's word that a job ended before asking about it anyway: the word is a
 * message on a port, and this bounds what a lost one could cost.
 */
const MAX_WATCH_MS = 2_000;

/**
 * Asks the link and waits out a long device call: a "pending" reply is followed by a `link.await`
 * that hands the link a port, and the link tells on it when the job ends (or the port closes: the
 * link's thread died); then a `link.await` collects the result. No polling, and no wait in the
 * link's mailbox, which every other asker shares. Each ask is short, so the ask timeout only has
 * to cover a hop, and a dead link is noticed at the next ask.
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

  async call<M extends JobMessage>(msg: M): Promise<ValueOf<M['type']>> {
    const ask = { timeoutMs: this.askTimeoutMs };
    let reply = (await this.link.ask(msg, ask)) as JobReply<unknown>;
    // Bounded by the link: a job that never ends crashes the link (its `stuckMs`), and then an ask fails.
    while (!reply.done) {
      const { port1, port2 } = new MessageChannel();
      const told = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, MAX_WATCH_MS);
        const done = (): void => {
          clearTimeout(timer);
          resolve();
        };
        port1.once('message', done);
        port1.once('close', done);
      });
      try {
        reply = (await this.link.ask({ type: 'link.await', job: reply.job, port: port2 }, { ...ask, transfer: [port2] })) as JobReply<unknown>;
        if (reply.done) break;
        await told;
        reply = (await this.link.ask({ type: 'link.await', job: reply.job }, ask)) as JobReply<unknown>;
      } finally {
        port1.close();
      }
    }
    if (reply.features) this.features = reply.features;
    return reply.value as ValueOf<M['type']>;
  }

  /** An ask whose reply is not a job (opening a stream, describing); `transfer` moves parts of it (a port). */
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
