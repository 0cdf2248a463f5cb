import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { seededRandom } from '@filesync/core';
import { numberArg, repoFromArgs } from '../agent/agent-runs';
import { round } from '../stats';
import { defineBenchmark } from '../benchmark';
import { makeFiles } from '../source-files';
import { RCLONE, have } from './ftp/reference-clients';
import { agentKey, agentTimes, startS3Agent, waitDelivered, writeS3AgentConfig } from './s3/agent-to-s3';
import { rcloneMakeBucket, rcloneS3Copy, rcloneS3Size, spawnRcloneS3Copy } from './s3/rclone-s3';
import { type BenchS3Server, startBenchS3Server } from './s3/s3-server';

const MiB = 1 << 20;
const KiB = 1 << 10;
const BUCKET = 'bench';


/** Fails unless `dir` on the server holds exactly `files` objects of `bytes` in all, as rclone lists them. */
async function expectArrived(server: BenchS3Server, label: string, dir: string, files: number, bytes: number): Promise<void> {
  const got = await rcloneS3Size(server, BUCKET, dir);
  if (got.count !== files || got.bytes !== bytes) throw new Error(`${label}: expected ${files} objects / ${bytes} bytes under ${dir}, the server has ${got.count} / ${got.bytes}`);
}

/**
 * Polls the server's byte counter for `key` and calls `kill` once half of `size` has arrived; the
 * bytes counted at that moment. Fails if the client ends first (the file was too small to catch).
 */
async function killAtHalf(server: BenchS3Server, key: string, size: number, ended: () => boolean, kill: () => void, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await server.bytesReceived(BUCKET, key);
    if (got >= size / 2) {
      kill();
      return got;
    }
    if (ended()) throw new Error(`${key}: the client ended with ${got} of ${size} bytes received, before the kill at half`);
    if (Date.now() > deadline) throw new Error(`${key}: ${got} of ${size} bytes after ${timeoutMs / 1000} s`);
    await sleep(20);
  }
}

const exitOf = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

export default defineBenchmark({
  description:
    'filesync agent (local source → S3 target) vs `rclone copy` (Debian rclone, S3 remote) to the same S3 simulator in the same run, taking turns: one large file (default 1 GiB) and 5,000 files of 4–64 KiB (time ratios, files/s), then bytes sent again after a SIGKILL at half the large file (filesync resumes; rclone runs again). Args: [--big-mib N] [--small-files N] [--part-concurrency N] [--transfers N] [--latency-ms N: every S3 request waits that long, a store across the internet] [--repo DIR]',
  async run({ tiny, args, log }) {
    if (!have(RCLONE)) throw new Error(`the reference client ${RCLONE} is missing (Debian: apt-get install rclone)`);
    const repo = repoFromArgs(args);
    const bigBytes = (tiny ? 48 : numberArg(args, '--big-mib', 1024)) * MiB;
    const smallCount = tiny ? 30 : numberArg(args, '--small-files', 5000);
    // The S3 target's parts in flight; the agent's default unless given (a base commit may not know the field).
    const partConcurrency = args.includes('--part-concurrency') ? numberArg(args, '--part-concurrency', 0) : undefined;
    const transfers = args.includes('--transfers') ? numberArg(args, '--transfers', 0) : undefined;
    const tuning = { partConcurrency, transfers };
    const latencyMs = args.includes('--latency-ms') ? numberArg(args, '--latency-ms', 0) : 0;
    // The large file is sent BIG_ROUNDS times by each tool (best counts); the small files in SMALL_GROUPS
    // groups, the tools taking turns on each (sums count): both see the same drifting load.
    const BIG_ROUNDS = tiny ? 1 : 2;
    const SMALL_GROUPS = tiny ? 1 : 2;
    const work = await mkdtemp(join(tmpdir(), 'fs-bench-s3-'));
    let server: BenchS3Server | undefined;
    try {
      server = await startBenchS3Server(join(work, 's3'), latencyMs);
      const s3 = server;
      await rcloneMakeBucket(s3, BUCKET);
      log(`server: S3 simulator at ${s3.endpoint} (on disk under ${work}/s3${latencyMs > 0 ? `, ${latencyMs} ms per request` : ''})`);

      log(`making 1 × ${bigBytes / MiB} MiB and ${smallCount} files of 4–64 KiB in ${SMALL_GROUPS} groups`);
      const bigDir = join(work, 'src', 'big');
      await makeFiles(bigDir, 1, bigBytes, () => 'big.bin');
      const random = seededRandom(21);
      const smallSizes = Array.from({ length: smallCount }, () => 4 * KiB + Math.floor(random() * 60 * KiB));
      const perGroup = Math.ceil(smallCount / SMALL_GROUPS);
      const groupOf = (i: number): number => Math.floor(i / perGroup);
      await makeFiles(join(work, 'src'), smallCount, (i) => smallSizes[i]!, (i) => `small-g${groupOf(i)}/d${i % 10}/f${String(i).padStart(5, '0')}.bin`);
      const groups = Array.from({ length: SMALL_GROUPS }, (_, g) => {
        const sizes = smallSizes.filter((_, i) => groupOf(i) === g);
        return { dir: join(work, 'src', `small-g${g}`), files: sizes.length, bytes: sizes.reduce((a, b) => a + b, 0) };
      });
      const smallBytes = groups.reduce((n, g) => n + g.bytes, 0);

      const seconds: Record<string, number[]> = {};
      const cpu: Record<string, number> = {};
      const note = (label: string, sec: number, cpuSec: number | undefined): void => {
        (seconds[label] ??= []).push(sec);
        cpu[label] = (cpu[label] ?? 0) + (cpuSec ?? Number.NaN);
      };
      const stagedFor: Record<string, number[]> = {};

      /** The real agent from a fresh data dir; its upload time is read from its catalog afterwards. */
      const filesync = async (label: string, sourceDir: string, prefix: string, files: number, bytes: number): Promise<void> => {
        const world = await writeS3AgentConfig(join(work, 'agents', prefix), sourceDir, s3, BUCKET, `${prefix}/`, tuning);
        const agent = startS3Agent(repo, world);
        let cpuSec: number | undefined;
        try {
          await agent.served;
          cpuSec = await waitDelivered(world, agent, files, 3_600_000);
        } finally {
          await agent.kill();
        }
        const times = agentTimes(world);
        await expectArrived(s3, label, prefix, files, bytes);
        note(label, times.uploadSec, cpuSec);
        (stagedFor[label] ??= []).push(times.foundToDeliveredSec);
        log(`${label}: upload ${round(times.uploadSec, 3)} s (found → delivered ${round(times.foundToDeliveredSec, 3)} s, staging done after ${round(times.stagingSec, 3)} s; agent CPU ${cpuSec ?? '?'} s in all)`);
        await rm(join(work, 'agents', prefix), { recursive: true, force: true });
      };
      const rclone = async (label: string, sourceDir: string, prefix: string, files: number, bytes: number): Promise<void> => {
        const t0 = performance.now();
        const cpuSec = await rcloneS3Copy(s3, sourceDir, BUCKET, prefix);
        const sec = (performance.now() - t0) / 1000;
        await expectArrived(s3, label, prefix, files, bytes);
        note(label, sec, cpuSec);
        log(`${label}: ${round(sec, 3)} s (CPU ${round(cpuSec, 3)} s)`);
      };

      type Run = () => Promise<void>;
      const rotate = async (runs: readonly Run[], turn: number): Promise<void> => {
        for (let k = 0; k < runs.length; k++) await runs[(k + turn) % runs.length]!();
      };
      for (let r = 0; r < BIG_ROUNDS; r++) {
        await rotate([() => filesync('bigFilesync', bigDir, `fs-big-${r}`, 1, bigBytes), () => rclone('bigRclone', bigDir, `rc-big-${r}`, 1, bigBytes)], r);
      }
      for (const [g, group] of groups.entries()) {
        await rotate(
          [
            () => filesync('smallFilesync', group.dir, `fs-small-${g}`, group.files, group.bytes),
            () => rclone('smallRclone', group.dir, `rc-small-${g}`, group.files, group.bytes),
          ],
          g,
        );
      }

      // A power cut at half the large file: filesync's agent SIGKILLed (its whole process group) and
      // started again on the same data dir; rclone SIGKILLed and run again, as a user would.
      log('kill at 50 %: filesync');
      const killWorld = await writeS3AgentConfig(join(work, 'agents', 'fs-kill'), bigDir, s3, BUCKET, 'fs-kill/', tuning);
      const first = startS3Agent(repo, killWorld);
      let fsKilledAt: number;
      try {
        await first.served;
        fsKilledAt = await killAtHalf(s3, agentKey('fs-kill/', 'big.bin'), bigBytes, () => first.child.exitCode !== null, () => process.kill(-first.pid, 'SIGKILL'), 3_600_000);
      } finally {
        await first.kill();
      }
      const second = startS3Agent(repo, killWorld);
      try {
        await second.served;
        await waitDelivered(killWorld, second, 1, 3_600_000);
      } finally {
        await second.kill();
      }
      await expectArrived(s3, 'killFilesync', 'fs-kill', 1, bigBytes);
      const fsResent = (await s3.bytesReceived(BUCKET, agentKey('fs-kill/', 'big.bin'))) - bigBytes;
      log(`filesync: killed at ${fsKilledAt} bytes received; sent again after restart: ${fsResent} bytes`);

      log('kill at 50 %: rclone');
      const killed = spawnRcloneS3Copy(s3, bigDir, BUCKET, 'rc-kill');
      const rcKilledAt = await killAtHalf(s3, 'rc-kill/big.bin', bigBytes, () => killed.exitCode !== null, () => killed.kill('SIGKILL'), 3_600_000).finally(() => {
        killed.kill('SIGKILL');
        return exitOf(killed);
      });
      await rcloneS3Copy(s3, bigDir, BUCKET, 'rc-kill');
      await expectArrived(s3, 'killRclone', 'rc-kill', 1, bigBytes);
      const rcResent = (await s3.bytesReceived(BUCKET, 'rc-kill/big.bin')) - bigBytes;
      log(`rclone: killed at ${rcKilledAt} bytes received; sent again on the second run: ${rcResent} bytes`);

      const best = (label: string): number => Math.min(...(seconds[label] ?? [Number.NaN]));
      const sum = (label: string): number => (seconds[label] ?? [Number.NaN]).reduce((a, b) => a + b, 0);
      const big = { fs: best('bigFilesync'), rc: best('bigRclone') };
      const small = { fs: sum('smallFilesync'), rc: sum('smallRclone') };
      return {
        server: 's3-simulator',
        bigMiB: bigBytes / MiB,
        bigRounds: BIG_ROUNDS,
        smallFiles: smallCount,
        smallGroups: SMALL_GROUPS,
        smallMiB: round(smallBytes / MiB, 1),
        // "default": the agent's own (4 since issue 21; one part at a time before).
        partConcurrency: partConcurrency ?? 'default',
        transfers: transfers ?? 'default',
        latencyMs,
        // filesync: from its first upload starting to its last file delivered (catalog stamps); rclone: the whole `rclone copy`.
        bigFilesyncSec: round(big.fs, 3),
        bigRcloneSec: round(big.rc, 3),
        bigFilesyncMiBps: round(bigBytes / MiB / big.fs, 1),
        bigRcloneMiBps: round(bigBytes / MiB / big.rc, 1),
        bigTimeRatio: round(big.fs / big.rc, 3),
        // With staging (copy to local staging and sha256) before the upload: what a user waits for end to end.
        bigFilesyncFoundToDeliveredSec: round(Math.min(...(stagedFor['bigFilesync'] ?? [Number.NaN])), 3),
        smallFilesyncSec: round(small.fs, 3),
        smallRcloneSec: round(small.rc, 3),
        smallFilesyncFilesPerSec: round(smallCount / small.fs, 1),
        smallRcloneFilesPerSec: round(smallCount / small.rc, 1),
        smallTimeRatio: round(small.fs / small.rc, 3),
        smallFilesyncFoundToDeliveredSec: round((stagedFor['smallFilesync'] ?? [Number.NaN]).reduce((a, b) => a + b, 0), 3),
        // CPU seconds: the agent's whole process over its run (start, staging, upload) per round; rclone's per round.
        bigFilesyncAgentCpuSec: round((cpu['bigFilesync'] ?? Number.NaN) / BIG_ROUNDS, 2),
        bigRcloneCpuSec: round((cpu['bigRclone'] ?? Number.NaN) / BIG_ROUNDS, 2),
        smallFilesyncAgentCpuSec: round(cpu['smallFilesync'] ?? Number.NaN, 2),
        smallRcloneCpuSec: round(cpu['smallRclone'] ?? Number.NaN, 2),
        killFilesyncAtBytes: fsKilledAt,
        killFilesyncResentBytes: fsResent,
        killRcloneAtBytes: rcKilledAt,
        killRcloneResentBytes: rcResent,
        killResentRatio: round(fsResent / rcResent, 4),
      };
    } finally {
      await server?.stop();
      await rm(work, { recursive: true, force: true });
    }
  },
});
