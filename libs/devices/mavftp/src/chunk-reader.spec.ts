import { describe, expect, it } from 'vitest';
import { ManualClock } from '@filesync/core';
import { patternBytes } from '@filesync/core/testing';
import { type FtpPayload, MAX_DATA, Opcode, ftpPayload } from '@filesync/mavftp-codec';
import { type Chunk, type ChunkOptions, readChunk } from './chunk-reader';
import { FtpChannel } from './ftp-channel';
import type { MavlinkLink } from './mavlink-link';

/**
 * A scripted PX4 on a manual clock: the test decides which frames arrive and when, so each loss
 * case is exact and time is fake (no timing claims on a real clock; those are the bench's).
 */
class ScriptedPx4 {
  readonly clock = new ManualClock();
  readonly sent: FtpPayload[] = [];
  private listener: ((p: FtpPayload) => void) | undefined;
  /** Just the parts of MavlinkLink the channel uses. */
  readonly link = {
    description: 'scripted',
    error: undefined,
    onFtp: (l: (p: FtpPayload) => void): void => {
      this.listener = l;
    },
    sendFtp: (p: FtpPayload): void => {
      this.sent.push(p);
    },
  } as unknown as MavlinkLink; // structural stand-in: FtpChannel touches only these members
  readonly channel = new FtpChannel(this.link, { requestTimeoutMs: 100, maxSends: 6, clock: this.clock });

  constructor(readonly file: Uint8Array, measuredRttMs = 5) {
    // A measured link (rto at its 25 ms floor), as after the first requests of a transfer.
    for (let i = 0; i < 8; i++) this.channel.rtt.sample(measuredRttMs);
  }

  requests(opcode: number): FtpPayload[] {
    return this.sent.filter((p) => p.opcode === opcode);
  }

  /** Frame `index` (0-based) of the burst `req` started, as PX4 streams it. */
  burstFrame(req: FtpPayload, index: number, complete = false): FtpPayload {
    const offset = req.offset + index * MAX_DATA;
    return ftpPayload({
      seq: (req.seq + 1 + index) & 0xffff,
      opcode: Opcode.Ack,
      reqOpcode: Opcode.BurstReadFile,
      burstComplete: complete,
      offset,
      data: this.file.subarray(offset, offset + MAX_DATA),
    });
  }

  deliver(p: FtpPayload): void {
    this.listener?.(p);
  }

  /** Answers every ReadFile sent since the last call (none lost). */
  answerReads(from = 0): number {
    const reads = this.requests(Opcode.ReadFile).slice(from);
    for (const r of reads) {
      this.deliver(ftpPayload({ seq: (r.seq + 1) & 0xffff, opcode: Opcode.Ack, reqOpcode: Opcode.ReadFile, offset: r.offset, data: this.file.subarray(r.offset, r.offset + r.size) }));
    }
    return from + reads.length;
  }
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

const OPTIONS: ChunkOptions = { burst: true, readBytes: MAX_DATA, readWindow: 4, maxChunkBytes: 192 * 1024 };

/** Advances fake time 1 ms at a time until the chunk is read; returns it and the ms it took. */
async function settle(px4: ScriptedPx4, chunk: Promise<Chunk>, limitMs = 2000): Promise<{ chunk: Chunk; ms: number }> {
  let done: Chunk | undefined;
  void chunk.then((c) => {
    done = c;
  });
  await flush();
  for (let ms = 0; ms <= limitMs; ms++) {
    if (done) return { chunk: done, ms };
    px4.clock.advance(1);
    await flush();
  }
  throw new Error(`chunk not read within ${limitMs} ms of fake time`);
}

describe('readChunk under loss (scripted PX4, fake clock)', () => {
  it('ends a burst whose burst_complete frame was lost soon after PX4 passed its 35,000-byte mark, not after the mid-burst stall timeout', async () => {
    const px4 = new ScriptedPx4(patternBytes(200_000));
    const chunk = readChunk(px4.channel, px4.clock, 0, px4.file.length, OPTIONS);
    await flush();
    const [req] = px4.requests(Opcode.BurstReadFile);
    expect(req).toBeDefined();
    // NuttX UDP pacing: 5 frames per 10 ms cycle; PX4 marks frame 150 (the end of the cycle in
    // which it passed 35,000 bytes) burst_complete, and that frame is lost.
    for (let i = 0; i < 149; i++) {
      if (i % 5 === 0) px4.clock.advance(10);
      px4.deliver(px4.burstFrame(req!, i));
    }
    const { chunk: got, ms } = await settle(px4, chunk);
    expect(got.data.length).toBe(149 * MAX_DATA);
    expect(got.data).toEqual(px4.file.subarray(0, 149 * MAX_DATA));
    // The mid-burst stall timeout is ≥ 80 ms; the rest of PX4's last cycle comes back to back.
    expect(ms).toBeLessThanOrEqual(30);
  });

  it('re-sends a lost BurstReadFile (same seq) a PX4 cycle after the round trip, instead of waiting long and falling back to ReadFile', async () => {
    const px4 = new ScriptedPx4(patternBytes(200_000));
    const chunk = readChunk(px4.channel, px4.clock, 4780, px4.file.length, OPTIONS);
    await flush();
    // The request is lost on the way up: nothing comes back.
    let waited = 0;
    while (px4.requests(Opcode.BurstReadFile).length < 2 && waited < 500) {
      px4.clock.advance(1);
      await flush();
      waited++;
    }
    const [first, again] = px4.requests(Opcode.BurstReadFile);
    expect(again).toMatchObject({ seq: first!.seq, offset: 4780 });
    expect(waited).toBeLessThanOrEqual(50);
    for (let i = 0; i < 150; i++) px4.deliver(px4.burstFrame(again!, i, i === 149));
    const { chunk: got } = await settle(px4, chunk);
    expect(px4.requests(Opcode.ReadFile)).toHaveLength(0);
    expect(got.data).toEqual(px4.file.subarray(4780, 4780 + 150 * MAX_DATA));
  });
});
