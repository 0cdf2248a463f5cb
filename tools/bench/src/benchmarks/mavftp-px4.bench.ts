import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type ClientStats, connectMavftp } from '@filesync/device-mavftp';
import { startPx4Sitl } from '@filesync/device-mavftp/testing';
import { type FtpPayload, MAX_DATA, NakError, Opcode, dataAsU32, ftpPayload, pathData, readNak } from '@filesync/mavftp-codec';
import { defineBenchmark } from '../benchmark';

function arg(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The largest `.ulg` below `dir` (relative path) and its size. */
async function largestLog(dir: string): Promise<{ rel: string; size: number }> {
  let best = { rel: '', size: -1 };
  for (const day of await readdir(dir)) {
    for (const name of await readdir(join(dir, day))) {
      const size = (await stat(join(dir, day, name))).size;
      if (name.endsWith('.ulg') && size > best.size) best = { rel: `${day}/${name}`, size };
    }
  }
  return best;
}

/**
 * The minimal probe: one link, OpenFileRO, then either plain ReadFile one at a time (each waits for
 * its reply) or BurstReadFile restarted at each `burst_complete` or gap. No pipelining, no mixing:
 * PX4's own pace in each mode, to compare filesync's client against.
 */
async function probe(link: string, path: string, size: number, mode: 'plain' | 'burst', deadlineMs: number): Promise<number> {
  // Only the client's request/reply channel is used: no chunking, no windows, no mixing.
  const client = await connectMavftp({ link, heartbeatTimeoutMs: 10_000 });
  try {
    const channel = client.channel;
    await channel.request({ opcode: Opcode.ResetSessions });
    const opened = dataAsU32(await channel.request({ opcode: Opcode.OpenFileRO, data: pathData(path) }));
    if (opened !== size) throw new Error(`${path}: PX4 says ${opened} bytes, the file has ${size}`);
    const t0 = performance.now();
    let at = 0;
    if (mode === 'plain') {
      while (at < size) {
        const reply = await channel.request({ session: 0, opcode: Opcode.ReadFile, size: MAX_DATA, offset: at }, { matches: (r) => r.offset === at });
        at += reply.data.length;
      }
    } else {
      while (at < size && performance.now() - t0 < deadlineMs) {
        at = await new Promise<number>((resolve) => {
          let expected = at;
          const seq = channel.allocSeq(1024);
          const done = (): void => {
            clearTimeout(timer);
            resolve(expected);
          };
          let timer = setTimeout(done, 500);
          channel.setBurst({
            firstSeq: (seq + 1) & 0xffff,
            span: 1023,
            onFrame: (p: FtpPayload) => {
              clearTimeout(timer);
              timer = setTimeout(done, 200);
              if (p.opcode === Opcode.Nak) {
                if (readNak(p).error === NakError.EOF) expected = size;
                return done();
              }
              if (p.offset !== expected) return done();
              expected += p.data.length;
              if (p.burstComplete || expected >= size) done();
            },
          });
          channel.sendRaw(ftpPayload({ seq, session: 0, opcode: Opcode.BurstReadFile, size: MAX_DATA, offset: at }));
        });
      }
      channel.setBurst(undefined);
    }
    const seconds = (performance.now() - t0) / 1000;
    if (at < size) throw new Error(`${mode} probe: ${at} of ${size} bytes by the deadline`);
    await channel.request({ opcode: Opcode.TerminateSession, session: 0 });
    return size / seconds;
  } finally {
    await client.link.close();
  }
}

export default defineBenchmark({
  description:
    'device-mavftp against a real PX4 (PX4 SITL, ../shared/px4-sitl) over UDP: one real ULog of ~20 MB read by filesync’s client, and by a minimal probe in plain-ReadFile and burst mode, in the same run; filesync as a fraction of the faster probe mode (args: --bytes N: log size to wait for, default 20 MB)',
  async run({ tiny, args, log }) {
    const want = Number(arg(args, 'bytes') ?? (tiny ? 0 : 20_000_000));
    const sitl = await startPx4Sitl({ empty: !tiny });
    try {
      if (want > 0) {
        // PX4 logs from boot at ~0.2 MB/s; a clean shutdown closes that log, the restart serves it.
        log(`letting PX4 log until its log reaches ${want} bytes`);
        const deadline = Date.now() + (want / 100_000) * 1000 + 60_000;
        while ((await largestLog(sitl.logDir).catch(() => ({ size: 0 }))).size < want) {
          if (Date.now() > deadline) throw new Error(`PX4's log did not reach ${want} bytes`);
          await new Promise((r) => setTimeout(r, 1000));
        }
        await sitl.shutdown();
        await sitl.restart();
      }
      const file = await largestLog(sitl.logDir);
      const path = `/log/${file.rel}`;
      const maxMs = 600_000;
      log(`reading ${path} (${file.size} bytes) over ${sitl.onboard}`);
      const plain = await probe(sitl.onboard, path, file.size, 'plain', maxMs);
      log(`probe, plain ReadFile one at a time: ${Math.round(plain)} B/s`);
      const burst = await probe(sitl.onboard, path, file.size, 'burst', maxMs);
      log(`probe, BurstReadFile: ${Math.round(burst)} B/s`);
      const client = await connectMavftp({ link: sitl.onboard });
      let rate: number;
      let stats: ClientStats;
      try {
        const t0 = performance.now();
        let got = 0;
        for await (const chunk of client.readFile(path, 0, { signal: AbortSignal.timeout(maxMs) })) got += chunk.length;
        rate = got / ((performance.now() - t0) / 1000);
        if (got !== file.size) throw new Error(`filesync got ${got} of ${file.size} bytes`);
        stats = client.stats;
      } finally {
        await client.link.close();
      }
      log(`filesync: ${Math.round(rate)} B/s`);
      const faster = Math.max(plain, burst);
      return {
        bytes: file.size,
        filesyncBytesPerSec: Math.round(rate),
        probePlainBytesPerSec: Math.round(plain),
        probeBurstBytesPerSec: Math.round(burst),
        fractionOfFasterProbe: Math.round((rate / faster) * 1000) / 1000,
        burstChunks: stats.burstChunks,
        plainChunks: stats.plainChunks,
        srttMs: Math.round((stats.srttMs ?? 0) * 100) / 100,
      };
    } finally {
      await sitl.stop();
    }
  },
});
