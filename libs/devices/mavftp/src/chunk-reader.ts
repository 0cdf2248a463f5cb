import type { Clock } from '@filesync/core';
import { type FtpPayload, MAX_DATA, NakError, Opcode, ftpPayload, readNak } from '@filesync/mavftp-codec';
import { NakReply } from './errors';
import { BURST_SEQ_SPAN, type FtpChannel } from './ftp-channel';

/** The open session vanished (reboot, session timeout, a reset by someone else): reopen and go on. */
export class SessionLost extends Error {
  override readonly name = 'SessionLost';
}

export interface ChunkOptions {
  /** Use BurstReadFile; without it every byte comes by ReadFile (old or broken bursts). */
  readonly burst: boolean;
  /** Bytes per ReadFile (≤ 239); smaller ones fit one radio frame on slow telemetry links. */
  readonly readBytes: number;
  /** ReadFile requests in flight while filling gaps (MAVProxy-style, not one at a time). */
  readonly readWindow: number;
  /**
   * Without burst: read the whole chunk by ReadFile with this many in flight (the fast-link mode
   * read-mode.ts picks). Unset: only a few rounds of `readWindow` per chunk.
   */
  readonly plainWindow?: number;
  /** Upper bound of one chunk (a chunk is one queue turn, so listings interleave between chunks). */
  readonly maxChunkBytes: number;
  readonly signal?: AbortSignal;
}

export interface Chunk {
  readonly offset: number;
  /** Contiguous bytes from `offset`; empty only at the end of the file. */
  readonly data: Uint8Array;
  readonly burstFrames: number;
  /** The autopilot said EOF at `offset + data.length`. */
  readonly eof: boolean;
}

/**
 * Reads one chunk of the open file: one burst (until PX4 marks it complete, sends EOF, or stalls),
 * then the gaps lost packets left filled by ReadFile with several in flight. A burst that stalls
 * early is not waited for: the chunk ends at its contiguous data and the next one restarts the
 * burst there.
 */
export async function readChunk(channel: FtpChannel, clock: Clock, offset: number, fileSize: number, options: ChunkOptions): Promise<Chunk> {
  let end = Math.min(fileSize, offset + options.maxChunkBytes);
  if (end <= offset) return { offset, data: new Uint8Array(), burstFrames: 0, eof: true };
  const buf = new Uint8Array(end - offset);
  const got = new Uint8Array(end - offset);
  let high = offset;
  let eof = false;
  const place = (at: number, data: Uint8Array): void => {
    const from = Math.max(at, offset);
    const to = Math.min(at + data.length, end);
    if (to <= from) return;
    buf.set(data.subarray(from - at, to - at), from - offset);
    got.fill(1, from - offset, to - offset);
    if (to > high) high = to;
  };

  let frames = 0;
  // Holes seen while the burst still streams are re-read at once, overlapping the stream, instead
  // of costing a round trip after it (PX4 serves ReadFile between burst cycles).
  const early: Promise<number | undefined>[] = [];
  let earlyError: unknown;
  const onGap = (start: number, length: number): void => {
    const p = fillHoles(channel, [{ start, length }], options, place);
    p.catch((err: unknown) => {
      earlyError ??= err;
    });
    early.push(p.catch(() => undefined));
  };
  if (options.burst) {
    const outcome = await runBurst(channel, clock, offset, end, place, onGap, options.signal);
    frames = outcome.frames;
    for (const eofAt of await Promise.all(early)) {
      if (eofAt !== undefined) end = Math.min(end, eofAt);
    }
    if (earlyError !== undefined) throw earlyError;
    if (outcome.nak) {
      if (outcome.nak.error === NakError.InvalidSession) throw new SessionLost('BurstReadFile: session lost');
      if (outcome.nak.error !== NakError.EOF) throw new NakReply(Opcode.BurstReadFile, outcome.nak);
      eof = true;
      end = Math.min(end, Math.max(offset, outcome.eofAt ?? high));
    }
  }
  // No burst data at all (burst off, or it never started): make progress with reads alone.
  const plain = !options.burst && options.plainWindow !== undefined;
  const fillTo = plain ? end : frames === 0 && !eof ? Math.min(end, offset + options.readBytes * options.readWindow * 8) : high;
  const holes = findHoles(got, offset, fillTo);
  const eofAt = await fillHoles(channel, holes, plain ? { ...options, readWindow: options.plainWindow! } : options, place);
  if (eofAt !== undefined) {
    eof = true;
    end = Math.min(end, eofAt);
  }
  let contiguous = 0;
  const limit = end - offset;
  while (contiguous < limit && got[contiguous] === 1) contiguous++;
  return { offset, data: buf.slice(0, contiguous), burstFrames: frames, eof: eof && offset + contiguous >= end };
}

/** Mean time between burst frames below which holes are re-read while the burst still runs. */
const EARLY_FILL_MAX_FRAME_GAP_MS = 10;
/**
 * PX4 ends a burst on the last frame of the send cycle in which the stream passed this many bytes
 * (mavlink_ftp.cpp `send()`, "perform transfers in 35K chunks"). Past it, only the rest of that
 * cycle is still to come, back to back: silence then means the burst_complete frame was lost.
 */
const PX4_BURST_BYTES = 35_000;
/** PX4's FTP send cycle: the link's receive loop lets the stream out about every 10 ms. */
const PX4_CYCLE_MS = 10;
/** Sends of a BurstReadFile that starts no stream before the chunk makes progress by ReadFile. */
const BURST_REQUEST_SENDS = 2;
/** Floor of the wait for the rest of PX4's last cycle (host scheduling on a busy ground station). */
const LAST_CYCLE_MIN_WAIT_MS = 25;

interface BurstOutcome {
  readonly frames: number;
  readonly nak?: { error: number; errno?: number };
  readonly eofAt?: number;
}

async function runBurst(
  channel: FtpChannel,
  clock: Clock,
  offset: number,
  end: number,
  place: (at: number, data: Uint8Array) => void,
  onGap: (start: number, length: number) => void,
  signal: AbortSignal | undefined,
): Promise<BurstOutcome> {
  let expected = offset;
  const firstSeq = channel.allocSeq(BURST_SEQ_SPAN);
  const rto = channel.rtt.rtoMs;
  // The first frame needs a round trip plus PX4's wait for its next send cycle (and, on a radio,
  // for TX room: half an RTO more there); later ones come back to back, paced by PX4's TX budget.
  const firstFrameMs = Math.max(rto + 2 * PX4_CYCLE_MS, 1.5 * rto);
  let requestSends = 0;
  let stallMs = Math.max(80, rto * 1.5);
  let frames = 0;
  let lastFrameAt = clock.monotonic();
  const startedAt = lastFrameAt;
  let firstFrameAt = startedAt;
  try {
    return await new Promise<BurstOutcome>((resolve) => {
      let timer: unknown;
      const finish = (outcome: BurstOutcome): void => {
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const onAbort = (): void => finish({ frames });
      const arm = (ms: number): void => {
        clock.clearTimeout(timer);
        timer = clock.setTimeout(() => finish({ frames }), ms);
      };
      channel.setBurst({
        firstSeq: (firstSeq + 1) & 0xffff,
        span: BURST_SEQ_SPAN - 1,
        onFrame: (p: FtpPayload) => {
          if (p.opcode === Opcode.Nak) {
            const nak = readNak(p);
            finish(nak.error === NakError.EOF ? { frames, nak, eofAt: p.offset } : { frames, nak });
            return;
          }
          frames++;
          const now = clock.monotonic();
          if (frames === 1) firstFrameAt = now;
          // On a slow radio frames come tens of ms apart: a stall is several missing frames, not one.
          if (frames > 1) stallMs = Math.max(stallMs, 4 * (now - lastFrameAt));
          lastFrameAt = now;
          // Early re-reads only on a fast link: on a slow radio their replies would queue behind
          // the burst's frames, time out and be re-executed; after the burst they cost one round trip.
          const fast = (now - startedAt) / frames < EARLY_FILL_MAX_FRAME_GAP_MS;
          if (fast && p.offset > expected && p.offset <= end) onGap(expected, p.offset - expected);
          expected = Math.max(expected, p.offset + p.data.length);
          place(p.offset, p.data);
          if (p.burstComplete || p.offset + p.data.length >= end) finish({ frames });
          else if (expected - offset > PX4_BURST_BYTES) {
            // Wait a few frame times (mean spacing, which includes PX4's cycle pauses), not a stall.
            const meanGapMs = frames > 1 ? (now - firstFrameAt) / (frames - 1) : stallMs;
            arm(Math.min(stallMs, Math.max(LAST_CYCLE_MIN_WAIT_MS, 3 * meanGapMs)));
          } else arm(stallMs);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      // PX4 ignores the size of a burst request (PX4 issue #28727); 239 is what it sends anyway.
      const request = ftpPayload({ seq: firstSeq, session: 0, opcode: Opcode.BurstReadFile, size: MAX_DATA, offset });
      const sendRequest = (): void => {
        requestSends++;
        channel.sendRaw(request);
        if (requestSends > 1) channel.retransmits++;
        // No frame yet: the request (or the stream's start) was lost. The same seq again, so
        // frames of a stream that did start still fit the window; PX4 restarts it at `offset`.
        clock.clearTimeout(timer);
        timer = clock.setTimeout(
          () => (frames === 0 && requestSends < BURST_REQUEST_SENDS ? sendRequest() : finish({ frames })),
          firstFrameMs * (requestSends === 1 ? 1 : 1.5),
        );
      };
      sendRequest();
    });
  } finally {
    channel.setBurst(undefined);
  }
}

interface Range {
  readonly start: number;
  readonly length: number;
}

function findHoles(got: Uint8Array, base: number, upTo: number): Range[] {
  const holes: Range[] = [];
  const limit = Math.min(got.length, upTo - base);
  let i = 0;
  while (i < limit) {
    if (got[i] === 1) {
      i++;
      continue;
    }
    const start = i;
    while (i < limit && got[i] !== 1) i++;
    holes.push({ start: base + start, length: i - start });
  }
  return holes;
}

/** Fills holes with ReadFile, `readWindow` at a time. Returns the EOF offset if the autopilot reported one. */
async function fillHoles(
  channel: FtpChannel,
  holes: readonly Range[],
  options: ChunkOptions,
  place: (at: number, data: Uint8Array) => void,
): Promise<number | undefined> {
  const pieces: Range[] = [];
  for (const h of holes) {
    for (let at = h.start; at < h.start + h.length; at += options.readBytes) {
      pieces.push({ start: at, length: Math.min(options.readBytes, h.start + h.length - at) });
    }
  }
  let eofAt: number | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pieces.length) {
      const piece = pieces[next++]!;
      if (eofAt !== undefined && piece.start >= eofAt) continue;
      try {
        const reply = await channel.request(
          { session: 0, opcode: Opcode.ReadFile, size: piece.length, offset: piece.start },
          { matches: (r) => r.offset === piece.start, ...(options.signal ? { signal: options.signal } : {}) },
        );
        if (reply.data.length === 0) {
          eofAt = Math.min(eofAt ?? Infinity, piece.start);
          continue;
        }
        place(piece.start, reply.data);
        if (reply.data.length < piece.length) pieces.push({ start: piece.start + reply.data.length, length: piece.length - reply.data.length });
      } catch (err) {
        if (err instanceof NakReply && err.nak.error === NakError.EOF) eofAt = Math.min(eofAt ?? Infinity, piece.start);
        else if (err instanceof NakReply && err.nak.error === NakError.InvalidSession) throw new SessionLost('ReadFile: session lost');
        else throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.readWindow) }, () => worker()));
  return eofAt;
}
