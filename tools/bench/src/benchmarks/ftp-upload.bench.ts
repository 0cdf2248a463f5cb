import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFtpTarget } from '@filesync/device-ftp';
import { readChunks } from '@filesync/device-local';
import { type ExpectedContent, hashStream } from '@filesync/core';
import { round } from '../stats';
import { defineBenchmark } from '../benchmark';
import { makeFiles } from '../source-files';
import { startLocalFtpServer, type LocalFtpServer } from './ftp/local-ftp-server';
import { arrived } from './arrived';
import { LFTP, RCLONE, have, lftpMirror, rcloneCopy } from './ftp/reference-clients';

const MiB = 1 << 20;

/** Staged files are read the way the Uploader reads them: the local device's positional reads. */
const fileChunks = (path: string): AsyncIterable<Uint8Array> => readChunks(path, 0);

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


export default defineBenchmark({
  description:
    'filesync FTP target vs `rclone copy` and `lftp mirror -R` to a local FTP server, one large file and many 200 KiB files',
  async run({ tiny, args, log }) {
    const quick = tiny || args.includes('--quick');
    const bigBytes = quick ? 16 * MiB : 512 * MiB;
    const smallCount = quick ? 60 : 5000;
    const smallBytes = 200 * 1024;
    // Small files are sent in ROUNDS groups, the tools taking turns; the large file BIG_ROUNDS times each.
    const ROUNDS = quick ? 2 : 5;
    const BIG_ROUNDS = quick ? 1 : 2;
    const work = await mkdtemp(join(tmpdir(), 'fs-bench-ftp-src-'));
    const server = await startLocalFtpServer(args.includes('--pyftpdlib') ? 'pyftpdlib' : 'vsftpd');
    log(`server: ${server.name} on ${server.host}:${server.port}`);
    try {
      log(`making 1 × ${bigBytes / MiB} MiB and ${smallCount} × 200 KiB source files in ${ROUNDS} groups`);
      const [bigPath] = await makeFiles(join(work, 'big'), 1, bigBytes, () => 'big.bin');
      const perGroup = Math.ceil(smallCount / ROUNDS);
      const smallPaths = await makeFiles(join(work, 'small'), smallCount, smallBytes, (i) => `g${Math.floor(i / perGroup)}/f${String(i).padStart(5, '0')}.bin`);
      // The pipeline has the sha256 from staging; computing it here is not part of the upload.
      const describe = async (local: string, rel: string) => ({
        local,
        rel,
        expected: { size: (await stat(local)).size, sha256: await hashStream('sha256', fileChunks(local)) },
      });
      const big = [await describe(bigPath!, 'big.bin')];
      const groups = await Promise.all(
        Array.from({ length: ROUNDS }, (_, g) =>
          Promise.all(
            smallPaths
              .filter((p) => p.includes(`/g${g}/`))
              .map((p) => describe(p, p.slice(join(work, 'small', `g${g}`).length + 1))),
          ),
        ),
      );

      // rclone 1.60 reads pyftpdlib's 501 for MLSD of a missing directory as a hard error (it expects 550),
      // so on pyftpdlib its destination directory is made beforehand; vsftpd needs no help.
      const rclone = async (local: string, remoteDir: string): Promise<number> => {
        if (server.name === 'pyftpdlib') await mkdir(join(server.diskDir, remoteDir), { recursive: true });
        return rcloneCopy(server, local, remoteDir);
      };

      /** Seconds per tool, summed over rounds (small files) or the best round (large file). */
      const timings: Record<string, number[]> = {};
      const cpu: Record<string, number> = {};
      const time = async (label: string, remoteDir: string, expectFiles: number, expectBytes: number, fn: () => Promise<number | void>) => {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const childCpu = await fn();
        const seconds = (performance.now() - t0) / 1000;
        const own = process.cpuUsage(c0);
        cpu[label] = (cpu[label] ?? 0) + (typeof childCpu === 'number' ? childCpu : (own.user + own.system) / 1e6);
        const got = await arrived(join(server.diskDir, remoteDir));
        if (got.files !== expectFiles || got.bytes !== expectBytes) {
          throw new Error(`${label}: expected ${expectFiles} files / ${expectBytes} bytes, server has ${got.files} / ${got.bytes}`);
        }
        await rm(join(server.diskDir, remoteDir), { recursive: true, force: true });
        (timings[label] ??= []).push(seconds);
        log(`${label}: ${round(seconds, 3)} s`);
      };

      // The machine is shared, so its load drifts: the tools take turns in rotating order, round
      // after round, instead of one tool's whole run after another's.
      type Run = () => Promise<unknown>;
      const rotate = async (runs: ReadonlyArray<readonly [string, Run]>, roundNo: number): Promise<void> => {
        for (let k = 0; k < runs.length; k++) await runs[(k + roundNo) % runs.length]![1]();
      };
      for (let r = 0; r < BIG_ROUNDS; r++) {
        const runs: Array<readonly [string, Run]> = [['fs', () => time('bigFilesync', 'fs-big', 1, bigBytes, () => filesyncUpload(server, 'fs-big', big, 1))]];
        if (have(RCLONE)) runs.push(['rc', () => time('bigRclone', 'rc-big', 1, bigBytes, () => rclone(join(work, 'big'), 'rc-big'))]);
        if (have(LFTP)) runs.push(['lf', () => time('bigLftp', 'lf-big', 1, bigBytes, () => lftpMirror(server, join(work, 'big'), 'lf-big'))]);
        await rotate(runs, r);
      }
      for (let g = 0; g < ROUNDS; g++) {
        const files = groups[g]!;
        const bytes = files.length * smallBytes;
        const local = join(work, 'small', `g${g}`);
        const runs: Array<readonly [string, Run]> = [
          ['fs1', () => time('smallFilesync1', `fs1-${g}`, files.length, bytes, () => filesyncUpload(server, `fs1-${g}`, files, 1))],
          ['fs4', () => time('smallFilesync4', `fs4-${g}`, files.length, bytes, () => filesyncUpload(server, `fs4-${g}`, files, 4))],
        ];
        if (have(RCLONE)) runs.push(['rc', () => time('smallRclone', `rc-${g}`, files.length, bytes, () => rclone(local, `rc-${g}`))]);
        if (have(LFTP)) runs.push(['lf', () => time('smallLftp', `lf-${g}`, files.length, bytes, () => lftpMirror(server, local, `lf-${g}`))]);
        await rotate(runs, g);
      }
      const best = (label: string): number | undefined => (timings[label] ? Math.min(...timings[label]) : undefined);
      const sum = (label: string): number | undefined => timings[label]?.reduce((a, b) => a + b, 0);
      const seconds: Record<string, number | undefined> = {
        bigFilesync: best('bigFilesync'),
        bigRclone: best('bigRclone'),
        bigLftp: best('bigLftp'),
        smallFilesync1: sum('smallFilesync1'),
        smallFilesync4: sum('smallFilesync4'),
        smallRclone: sum('smallRclone'),
        smallLftp: sum('smallLftp'),
      };
      const timingsOf = seconds;
      const mbps = (bytes: number, s: number | undefined): number => (s === undefined ? Number.NaN : round(bytes / MiB / s, 1));
      const ratio = (ours: number | undefined, ref: number | undefined): number =>
        ours === undefined || ref === undefined ? Number.NaN : round(ours / ref, 3);
      return {
        server: server.name,
        bigMiB: bigBytes / MiB,
        bigRounds: BIG_ROUNDS,
        smallRounds: ROUNDS,
        smallFiles: smallCount,
        smallKiB: smallBytes / 1024,
        bigFilesyncSec: round(timingsOf['bigFilesync'] ?? Number.NaN, 3),
        bigRcloneSec: round(timingsOf['bigRclone'] ?? Number.NaN, 3),
        bigLftpSec: round(timingsOf['bigLftp'] ?? Number.NaN, 3),
        bigFilesyncMiBps: mbps(bigBytes, timingsOf['bigFilesync']),
        bigRcloneMiBps: mbps(bigBytes, timingsOf['bigRclone']),
        bigLftpMiBps: mbps(bigBytes, timingsOf['bigLftp']),
        smallFilesync1Sec: round(timingsOf['smallFilesync1'] ?? Number.NaN, 3),
        smallFilesync4Sec: round(timingsOf['smallFilesync4'] ?? Number.NaN, 3),
        smallRcloneSec: round(timingsOf['smallRclone'] ?? Number.NaN, 3),
        smallLftpSec: round(timingsOf['smallLftp'] ?? Number.NaN, 3),
        smallFilesync1FilesPerSec: round(smallCount / (timingsOf['smallFilesync1'] ?? Number.NaN), 1),
        smallFilesync4FilesPerSec: round(smallCount / (timingsOf['smallFilesync4'] ?? Number.NaN), 1),
        smallRcloneFilesPerSec: round(smallCount / (timingsOf['smallRclone'] ?? Number.NaN), 1),
        smallLftpFilesPerSec: round(smallCount / (timingsOf['smallLftp'] ?? Number.NaN), 1),
        // Time ratios: filesync's time ÷ the reference tool's time (below 1 = filesync faster).
        bigTimeRatioVsRclone: ratio(timingsOf['bigFilesync'], timingsOf['bigRclone']),
        bigTimeRatioVsLftp: ratio(timingsOf['bigFilesync'], timingsOf['bigLftp']),
        smallTimeRatio4VsRclone4: ratio(timingsOf['smallFilesync4'], timingsOf['smallRclone']),
        smallTimeRatio1VsLftp1: ratio(timingsOf['smallFilesync1'], timingsOf['smallLftp']),
        // Client CPU seconds over all rounds (filesync: this process; others: the tool and its children).
        // Wall time on a shared 2-core machine swings with other people's load; CPU time hardly does.
        bigFilesyncCpuSecPerRound: round((cpu['bigFilesync'] ?? Number.NaN) / BIG_ROUNDS, 3),
        bigRcloneCpuSecPerRound: round((cpu['bigRclone'] ?? Number.NaN) / BIG_ROUNDS, 3),
        bigLftpCpuSecPerRound: round((cpu['bigLftp'] ?? Number.NaN) / BIG_ROUNDS, 3),
        smallFilesync1CpuSec: round(cpu['smallFilesync1'] ?? Number.NaN, 3),
        smallFilesync4CpuSec: round(cpu['smallFilesync4'] ?? Number.NaN, 3),
        smallRcloneCpuSec: round(cpu['smallRclone'] ?? Number.NaN, 3),
        smallLftpCpuSec: round(cpu['smallLftp'] ?? Number.NaN, 3),
        rclone: have(RCLONE),
        lftp: have(LFTP),
      };
    } finally {
      await server.stop();
      await rm(work, { recursive: true, force: true });
    }
  },
});
