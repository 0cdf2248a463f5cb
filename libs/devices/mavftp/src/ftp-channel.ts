import { type Clock, TransientError, systemClock } from '@filesync/core';
import { type FtpPayload, type FtpPayloadInit, Opcode, ftpPayload, opcodeName, readNak } from '@filesync/mavftp-codec';
import { NakReply } from './errors';
import type { MavlinkLink } from './mavlink-link';
import { RttEstimator } from './rtt';

export interface ChannelOptions {
  /** First retransmission timeout, before round trips were measured (config `requestTimeoutMs`). */
  readonly requestTimeoutMs: number;
  /** Sends of one request before it fails as a timeout (retries reuse the sequence number). */
  readonly maxSends: number;
  readonly clock?: Clock;
}

export interface RequestOptions {
  /** A fixed timeout per send instead of the measured one (CalcFileCRC32 on a big file is slow). */
  readonly timeoutMs?: number;
  readonly maxSends?: number;
  /** Extra check on a reply beyond seq and req_opcode (e.g. the echoed offset). */
  readonly matches?: (reply: FtpPayload) => boolean;
  readonly signal?: AbortSignal;
}

interface Pending {
  readonly reqOpcode: number;
  readonly matches: ((reply: FtpPayload) => boolean) | undefined;
  readonly resolve: (reply: FtpPayload) => void;
}

/** Receives the frames of one BurstReadFile (seq in its window, req_opcode 15). */
export interface BurstSink {
  readonly firstSeq: number;
  readonly span: number;
  onFrame(frame: FtpPayload): void;
}

/** Sequence numbers a burst reserves, so no later request's seq can meet a cached burst frame in PX4. */
export const BURST_SEQ_SPAN = 1024;
const MAX_TIMEOUT_MS = 10_000;

/**
 * Request/reply over one link: sequence numbers, retransmission with the same seq (PX4 answers a
 * resent request from its reply cache), several requests in flight matched by reply seq and
 * req_opcode, and routing of burst frames to the running burst.
 */
export class FtpChannel {
  private nextSeq = Math.floor(Math.random() * 0xffff);
  private readonly pending = new Map<number, Pending>();
  private burst: BurstSink | undefined;
  readonly rtt: RttEstimator;
  private readonly clock: Clock;
  /** Requests sent, counting retransmissions (for figures and tests). */
  sends = 0;
  retransmits = 0;

  constructor(private readonly link: MavlinkLink, private readonly options: ChannelOptions) {
    this.clock = options.clock ?? systemClock;
    this.rtt = new RttEstimator(options.requestTimeoutMs);
    link.onFtp((p) => this.dispatch(p));
  }

  /** Reserves `span` sequence numbers and returns the first. */
  allocSeq(span = 1): number {
    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + span) & 0xffff;
    return seq;
  }

  setBurst(sink: BurstSink | undefined): void {
    this.burst = sink;
  }

  /** Sends without waiting (the BurstReadFile request, whose answer is the stream). */
  sendRaw(payload: FtpPayload): void {
    this.sends++;
    this.link.sendFtp(payload);
  }

  /**
   * Sends a request and waits for its reply, resending it with the same seq on timeout. A NAK
   * rejects with `NakReply`; no reply after `maxSends` rejects with a transient timeout.
   */
  async request(init: Omit<FtpPayloadInit, 'seq'>, options: RequestOptions = {}): Promise<FtpPayload> {
    const payload = ftpPayload({ ...init, seq: this.allocSeq() });
    const replySeq = (payload.seq + 1) & 0xffff;
    const maxSends = options.maxSends ?? this.options.maxSends;
    for (let attempt = 0; attempt < maxSends; attempt++) {
      const linkError = this.link.error;
      if (linkError) throw new TransientError('disconnected', `${this.link.description}: ${linkError.message}`, { cause: linkError });
      if (options.signal?.aborted) throw options.signal.reason;
      const base = options.timeoutMs ?? this.rtt.rtoMs;
      // Repeated timeouts grow the estimator's timeout (Karn) for this request and the ones after
      // it, until a reply to a first send is measured: a congested slow link is not flooded.
      const timeout = Math.min(MAX_TIMEOUT_MS, base * (attempt === 0 ? 1 : 1.5));
      const sentAt = this.clock.monotonic();
      this.sends++;
      if (attempt > 0) this.retransmits++;
      this.link.sendFtp(payload);
      const reply = await this.waitReply(replySeq, payload.opcode, options.matches, timeout, options.signal);
      // One timeout is most likely a lost frame; a second one for the same request looks like a
      // queue we are outrunning.
      if (!reply && attempt >= 1) this.rtt.backoff();
      if (reply) {
        if (attempt === 0) this.rtt.sample(this.clock.monotonic() - sentAt);
        if (reply.opcode === Opcode.Nak) throw new NakReply(payload.opcode, readNak(reply));
        return reply;
      }
    }
    throw new TransientError('timeout', `${opcodeName(payload.opcode)}: no reply from the autopilot after ${maxSends} sends`, {
      detail: { link: this.link.description, opcode: opcodeName(payload.opcode) },
    });
  }

  private waitReply(
    seq: number,
    reqOpcode: number,
    matches: ((reply: FtpPayload) => boolean) | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<FtpPayload | undefined> {
    return new Promise((resolve) => {
      const finish = (reply: FtpPayload | undefined): void => {
        this.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.pending.get(seq)?.resolve === onReply) this.pending.delete(seq);
        resolve(reply);
      };
      const onReply = (reply: FtpPayload): void => finish(reply);
      const onAbort = (): void => finish(undefined);
      const timer = this.clock.setTimeout(() => finish(undefined), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(seq, { reqOpcode, matches, resolve: onReply });
    });
  }

  private dispatch(p: FtpPayload): void {
    const burst = this.burst;
    if (burst && p.reqOpcode === Opcode.BurstReadFile && ((p.seq - burst.firstSeq) & 0xffff) < burst.span) {
      burst.onFrame(p);
      return;
    }
    const pending = this.pending.get(p.seq);
    // Late duplicates and replies meant for an earlier request fail these checks and are dropped.
    if (!pending || pending.reqOpcode !== p.reqOpcode) return;
    if (p.opcode !== Opcode.Nak && pending.matches && !pending.matches(p)) return;
    this.pending.delete(p.seq);
    pending.resolve(p);
  }
}
