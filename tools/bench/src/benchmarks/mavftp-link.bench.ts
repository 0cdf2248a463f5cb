import { rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { connectMavftp } from '@filesync/device-mavftp';
import { makeSdRoot, startPx4Sim } from '@filesync/device-mavftp/testing';
import { defineBenchmark } from '../benchmark';

/** MAVFTP.md "The link limit": 239 file bytes per 266-byte frame, 10 bits a byte on a UART (8N1). */
function fileDataLimit(baud: number): number {
  return (baud / 10) * (239 / 266);
}

function arg(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

export default defineBenchmark({
  description:
    'device-mavftp against simulators/px4: file-data throughput of one log download as a fraction of the link’s file-data limit (baud/10 × 239/266), at 0 % and 2 % loss each way (args: --baud N --bytes N --loss 0,0.02 --max-seconds N)',
  async run({ tiny, args, log }) {
    const baud = Number(arg(args, 'baud') ?? 921_600);
    const bytes = Number(arg(args, 'bytes') ?? (tiny ? 150_000 : 4 * 1024 * 1024));
    const losses = (arg(args, 'loss') ?? '0,0.02').split(',').map(Number);
    const path = '/fs/microsd/log/2026-11-20/10_31_07.ulg';
    const content = randomBytes(bytes);
    const root = await makeSdRoot({ [`fs/microsd/log/2026-11-20/10_31_07.ulg`]: content });
    // PX4 paces its burst by the free TX buffer (1500 B per ~10 ms cycle on NuttX UDP); the baud cap is the wire.
    const sim = await startPx4Sim(root, ['--no-pty', '--baud', String(baud)]);
    const limit = fileDataLimit(baud);
    const figures: Record<string, number | string> = { baud, bytes, fileDataLimitBytesPerSec: Math.round(limit) };
    try {
      for (const loss of losses) {
        await sim.post('/faults', { lossUp: loss, lossDown: loss });
        await sim.post('/reset-stats');
        const client = await connectMavftp({ link: `udpout:${sim.udp}` });
        try {
          log(`downloading ${bytes} bytes at ${baud} baud, ${loss * 100} % loss each way`);
          // Bounded: three times the ideal time plus a minute, then the run fails instead of hanging.
          const maxMs = Number(arg(args, 'max-seconds') ?? (3 * bytes) / limit + 60) * 1000;
          const abort = AbortSignal.timeout(Math.ceil(maxMs));
          const t0 = performance.now();
          let got = 0;
          for await (const chunk of client.readFile(path, 0, { signal: abort })) got += chunk.length;
          const seconds = (performance.now() - t0) / 1000;
          if (got !== bytes) throw new Error(`got ${got} of ${bytes} bytes`);
          const rate = got / seconds;
          const key = `loss${Math.round(loss * 1000) / 10}pct`.replace('.', '_');
          figures[`${key}BytesPerSec`] = Math.round(rate);
          figures[`${key}FractionOfLimit`] = Math.round((rate / limit) * 1000) / 1000;
          figures[`${key}Seconds`] = Math.round(seconds * 100) / 100;
          figures[`${key}Retransmits`] = client.stats.retransmits;
          figures[`${key}BurstRequests`] = (await sim.state()).links['udp']?.server.requests['BurstReadFile'] ?? 0;
          log(`${Math.round(rate)} B/s = ${(rate / limit).toFixed(3)} of the link's file-data limit`);
        } finally {
          await client.link.close();
        }
      }
      return figures;
    } finally {
      await sim.stop();
      await rm(root, { recursive: true, force: true });
    }
  },
});
