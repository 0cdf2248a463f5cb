import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createFtpTarget } from '@filesync/device-ftp';
import { type ExpectedContent, hashStream } from '@filesync/core';
import { defineBenchmark } from '../benchmark';
import { startLocalFtpServer, type LocalFtpServer } from './ftp/local-ftp-server';
import { LFTP, RCLONE, have, lftpMirror, rcloneCopy } from './ftp/reference-clients';

const MiB = 1 << 20;
const CHUNK = MiB;

async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) yield chunk;
}

/** Writes `count` files of `size` bytes: one random block, each file's first 8 bytes made unique. */
async function makeFiles(dir: string, count: number, size: number, name: (i: number) => string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const block = randomBytes(Math.min(size, 4 * MiB));
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, name(i));
    await mkdir(dirname(path), { recursive: true });
    const fh = await open(path, 'w');
    for (let at = 0; at < size; at += block.length) {
      const piece = block.subarray(0, Math.min(block.length, size - at));
      if (at === 0) piece.writeBigUInt64LE(BigInt(i * 7919 + 1), 0);
      await fh.write(piece, 0, piece.length, at);
    }
    await fh.close();
    paths.push(path);
  }
  return paths;
}

/** Files and bytes that arrived below a directory on the server's disk (temp names excluded). */
async function arrived(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (!e.isFile() || e.name.endsWith('.part')) continue;
    files++;
    bytes += (await stat(join(e.parentPath, e.name))).size;
  }
  return { files, bytes };
}

/** filesync's FTP target as the Uploader drives it: write from 0, commit with the staged sha256. */
async function filesyncUpload(
  server: LocalFtpServer,
  remoteDir: string,
  files: ReadonlyArray<{ local: string; rel: string; expected: ExpectedContent }>,
  connections: number,
): Promise<void> {
  const target = createFtpTarget({
    id: 'bench',
    url: `ftp://${server.host}:${server.port}/${server.dir}/${remoteDir}`,
    user: server.user,
    password: server.password,
    maxConnections: connections,
    collision: 'overwrite',
  });
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < files.length; i = next++) {
        const f = files[i]!;
        await target.write(f.rel, 0, fileChunks(f.local));
        await target.commit(f.rel, f.expected);
      }
    };
    await Promise.all(Array.from({ length: connections }, worker));
  } finally {
    await target.close();
  }
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

export default defineBenchmark({
  description:
    'filesync FTP target vs `rclone copy` and `lftp mirror -R` to a local FTP server, one large file and many 200 KiB files',
  async run({ tiny, args, log }) {
    const quick = tiny || args.includes('--quick');
    const bigBytes = quick ? 16 * MiB : 512 * MiB;
    const smallCount = quick ? 60 : 5000;
    const smallBytes = 200 * 1024;
    const work = await mkdtemp(join(tmpdir(), 'fs-bench-ftp-src-'));
    const server = await startLocalFtpServer();
    log(`server: ${server.name} on ${server.host}:${server.port}`);
    try {
      log(`making 1 × ${bigBytes / MiB} MiB and ${smallCount} × 200 KiB source files`);
      const [bigPath] = await makeFiles(join(work, 'big'), 1, bigBytes, () => 'big.bin');
      const smallPaths = await makeFiles(join(work, 'small'), smallCount, smallBytes, (i) => `d${Math.floor(i / 500)}/f${String(i).padStart(5, '0')}.bin`);
      // The pipeline has the sha256 from staging; computing it here is not part of the upload.
      const describe = async (local: string, rel: string) => ({
        local,
        rel,
        expected: { size: (await stat(local)).size, sha256: await hashStream('sha256', fileChunks(local)) },
      });
      const big = [await describe(bigPath!, 'big.bin')];
      const small = await Promise.all(smallPaths.map((p) => describe(p, p.slice(join(work, 'small').length + 1))));

      const timings: Record<string, number> = {};
      const time = async (label: string, remoteDir: string, expectFiles: number, expectBytes: number, fn: () => Promise<void>) => {
        log(`${label}…`);
        const t0 = performance.now();
        await fn();
        const seconds = (performance.now() - t0) / 1000;
        const got = await arrived(join(server.diskDir, remoteDir));
        if (got.files !== expectFiles || got.bytes !== expectBytes) {
          throw new Error(`${label}: expected ${expectFiles} files / ${expectBytes} bytes, server has ${got.files} / ${got.bytes}`);
        }
        await rm(join(server.diskDir, remoteDir), { recursive: true, force: true });
        timings[label] = seconds;
        log(`${label}: ${round(seconds, 3)} s`);
      };
      const smallTotal = smallCount * smallBytes;

      await time('bigFilesync', 'fs-big', 1, bigBytes, () => filesyncUpload(server, 'fs-big', big, 1));
      if (have(RCLONE)) await time('bigRclone', 'rc-big', 1, bigBytes, () => rcloneCopy(server, join(work, 'big'), 'rc-big'));
      if (have(LFTP)) await time('bigLftp', 'lf-big', 1, bigBytes, () => lftpMirror(server, join(work, 'big'), 'lf-big'));
      await time('smallFilesync1', 'fs-small1', smallCount, smallTotal, () => filesyncUpload(server, 'fs-small1', small, 1));
      await time('smallFilesync4', 'fs-small4', smallCount, smallTotal, () => filesyncUpload(server, 'fs-small4', small, 4));
      if (have(RCLONE)) await time('smallRclone', 'rc-small', smallCount, smallTotal, () => rcloneCopy(server, join(work, 'small'), 'rc-small'));
      if (have(LFTP)) await time('smallLftp', 'lf-small', smallCount, smallTotal, () => lftpMirror(server, join(work, 'small'), 'lf-small'));

      const mbps = (bytes: number, s: number | undefined): number => (s === undefined ? Number.NaN : round(bytes / MiB / s, 1));
      const ratio = (ours: number | undefined, ref: number | undefined): number =>
        ours === undefined || ref === undefined ? Number.NaN : round(ours / ref, 3);
      return {
        server: server.name,
        bigMiB: bigBytes / MiB,
        smallFiles: smallCount,
        smallKiB: smallBytes / 1024,
        bigFilesyncSec: round(timings['bigFilesync'] ?? Number.NaN, 3),
        bigRcloneSec: round(timings['bigRclone'] ?? Number.NaN, 3),
        bigLftpSec: round(timings['bigLftp'] ?? Number.NaN, 3),
        bigFilesyncMiBps: mbps(bigBytes, timings['bigFilesync']),
        bigRcloneMiBps: mbps(bigBytes, timings['bigRclone']),
        bigLftpMiBps: mbps(bigBytes, timings['bigLftp']),
        smallFilesync1Sec: round(timings['smallFilesync1'] ?? Number.NaN, 3),
        smallFilesync4Sec: round(timings['smallFilesync4'] ?? Number.NaN, 3),
        smallRcloneSec: round(timings['smallRclone'] ?? Number.NaN, 3),
        smallLftpSec: round(timings['smallLftp'] ?? Number.NaN, 3),
        smallFilesync1FilesPerSec: round(smallCount / (timings['smallFilesync1'] ?? Number.NaN), 1),
        smallFilesync4FilesPerSec: round(smallCount / (timings['smallFilesync4'] ?? Number.NaN), 1),
        smallRcloneFilesPerSec: round(smallCount / (timings['smallRclone'] ?? Number.NaN), 1),
        smallLftpFilesPerSec: round(smallCount / (timings['smallLftp'] ?? Number.NaN), 1),
        // Time ratios: filesync's time ÷ the reference tool's time (below 1 = filesync faster).
        bigTimeRatioVsRclone: ratio(timings['bigFilesync'], timings['bigRclone']),
        bigTimeRatioVsLftp: ratio(timings['bigFilesync'], timings['bigLftp']),
        smallTimeRatio4VsRclone4: ratio(timings['smallFilesync4'], timings['smallRclone']),
        smallTimeRatio1VsLftp1: ratio(timings['smallFilesync1'], timings['smallLftp']),
        rclone: have(RCLONE),
        lftp: have(LFTP),
      };
    } finally {
      await server.stop();
      await rm(work, { recursive: true, force: true });
    }
  },
});
