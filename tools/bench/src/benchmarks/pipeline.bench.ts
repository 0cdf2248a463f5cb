import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds, deployEnvironment, ioBytes, memory, numberArg, repoFromArgs, startAgent } from '../agent/agent-runs';
import { median, round } from '../stats';
import { defineBenchmark, type Figures } from '../benchmark';
import { makeFiles } from '../source-files';
import { arrived } from './arrived';

const MiB = 1 << 20;
const GiB = 1 << 30;
/** How often a run looks at the target and samples the agent: often enough for the RSS peak of a big file. */
const POLL_MS = 250;
/**
 * How long the agent serves with nothing to do before its idle RSS is sampled. At "serving" every actor
 * thread is up, but the start's garbage is still resident: V8's memory reducer collects it about 8 s
 * after the last full collection of an isolate that has gone quiet (measured: 121–123 MiB for the first
 * 7 s, then 105 MiB, steady). The idle figure is the agent after that, as it sits waiting on a drone.
 */
const IDLE_SETTLE_MS = 10_000;
/** Idle RSS is the median of the samples over this span after the settle. */
const IDLE_SAMPLE_MS = 5_000;
/** A span whose samples spread wider than this is not steady yet: another is taken, up to `IDLE_SPANS`. */
const IDLE_STEADY_MIB = 2;
const IDLE_SPANS = 4;

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}`))));
  });
}

/**
 * `cp -r from to`: its wall seconds, and with the copy then flushed to the disk (`sync -f`, the
 * filesystem of `to`). The agent fsyncs what it stages and delivers; plain cp leaves it in the page cache.
 */
async function cp(from: string, to: string): Promise<{ seconds: number; syncedSeconds: number }> {
  const t0 = performance.now();
  await run('cp', ['-r', from, to]);
  const seconds = (performance.now() - t0) / 1000;
  await run('sync', ['-f', to]);
  return { seconds, syncedSeconds: (performance.now() - t0) / 1000 };
}

interface AgentRun {
  /** Wall seconds from the files appearing in the source directory to the last byte on the target under its final name. */
  readonly seconds: number;
  /** CPU seconds the agent process spent over the same span (every thread). */
  readonly cpuS: number;
  /** Bytes the agent read over the same span (every thread, page-cache hits included). */
  readonly readBytes: number;
  /** Highest RSS seen while files moved. */
  readonly peakRssMiB: number;
  /** RSS of the agent serving with nothing to move, every actor up and settled, before the files came (`IDLE_SETTLE_MS`). */
  readonly idleRssMiB: number;
  /** Lowest and highest idle sample: a wide spread says the idle figure was not steady. */
  readonly idleSpreadMiB: number;
  /** RSS 5 s after the last byte: what the transfer left resident (garbage no collection has freed yet, allocator caches). */
  readonly afterRssMiB: number;
}

/**
 * The built agent with one local source (an empty directory at start) and one local target: its idle
 * RSS once it has settled, then the entries of `from` are moved into its source directory (renames,
 * so each appears whole) and it runs until the target holds `files` files and `bytes` bytes under
 * their final names (bounded by `limitS`). The idle sample is taken before any file, not after the
 * transfer: after it, a thread that allocated per chunk still holds its dead buffers (a thread with
 * nothing to do does not collect), so an "idle" sample then reads the transfer's leftovers and makes
 * the peak look close to it.
 */
async function agentRun(repo: string, dir: string, from: string, files: number, bytes: number, limitS: number, settleMs: number, log: (m: string) => void): Promise<AgentRun> {
  const src = join(dir, 'src');
  const dst = join(dir, 'dst');
  const configFile = join(dir, 'config.json');
  const config = {
    dataDir: join(dir, 'data'),
    status: { host: '127.0.0.1', port: 0 },
    log: { file: join(dir, 'data', 'logs', 'filesync.log') },
    // Listed at once and taken as found: the figure is the pipeline's, not the settle policy's.
    sources: [{ id: 'src', type: 'local', dir: src, pollIntervalSec: 1, settleSec: 0 }],
    targets: [{ id: 'dst', type: 'local', dir: dst }],
    routes: [{ source: 'src', targets: ['dst'] }],
  };
  await mkdir(src, { recursive: true });
  await writeFile(configFile, JSON.stringify(config));
  // As deployed: with the unit's environment (glibc's malloc settings), which the checkout's RSS and CPU figures depend on.
  const agent = startAgent(repo, ['serve', '--config', configFile], deployEnvironment(repo));
  try {
    await agent.served;
    await sleep(settleMs);
    let idle: number[] = [];
    for (let span = 0; span < IDLE_SPANS && (span === 0 || Math.max(...idle) - Math.min(...idle) > IDLE_STEADY_MIB); span++) {
      idle = [];
      for (const end = performance.now() + IDLE_SAMPLE_MS; performance.now() < end; await sleep(POLL_MS)) idle.push(memory(agent.pid).rssMiB);
    }
    const idleRssMiB = median(idle);
    const idleSpreadMiB = round(Math.max(...idle) - Math.min(...idle), 1);
    log(`  idle ${idleRssMiB} MiB (${Math.min(...idle)}–${Math.max(...idle)}, ${memory(agent.pid).threads} threads)`);
    const t0 = performance.now();
    const cpu0 = cpuSeconds(agent.pid) ?? 0;
    const read0 = ioBytes(agent.pid, 'rchar') ?? 0;
    for (const name of await readdir(from)) await rename(join(from, name), join(src, name));
    let peak = 0;
    for (let n = 0; ; n++) {
      peak = Math.max(peak, memory(agent.pid).rssMiB);
      const got = await arrived(dst);
      if (got.files >= files && got.bytes >= bytes) break;
      if (performance.now() - t0 > limitS * 1000) throw new Error(`after ${limitS} s the target holds ${got.files}/${files} files, ${got.bytes}/${bytes} bytes`);
      if (n % 40 === 0) log(`  ${got.files}/${files} files, ${Math.round(got.bytes / MiB)}/${Math.round(bytes / MiB)} MiB, RSS ${memory(agent.pid).rssMiB} MiB`);
      await sleep(POLL_MS);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpuS = (cpuSeconds(agent.pid) ?? Number.NaN) - cpu0;
    const read = (ioBytes(agent.pid, 'rchar') ?? Number.NaN) - read0;
    await sleep(5_000);
    const afterRssMiB = memory(agent.pid).rssMiB;
    return { seconds, cpuS, readBytes: read, peakRssMiB: peak, idleRssMiB, idleSpreadMiB, afterRssMiB };
  } finally {
    await agent.kill();
  }
}

export default defineBenchmark({
  description:
    "the built agent moving one big file, then many small files, from a local source through the whole actor pipeline (link → finder → downloader → staging → uploader → link) to a local target, against `cp -r` of the same files in the same run: rate as a fraction of cp's, files per second, agent CPU seconds per GiB, times the agent reads each byte, peak RSS while the big file moves against the agent's idle RSS before it (serving, settled; args: --big-mib N (1024) --small N (20000) --small-kib N (64) --repo DIR)",
  async run({ tiny, args, log }) {
    const repo = repoFromArgs(args);
    const bigBytes = (tiny ? 16 : numberArg(args, '--big-mib', 1024)) * MiB;
    const smallCount = tiny ? 50 : numberArg(args, '--small', 20_000);
    const smallBytes = numberArg(args, '--small-kib', 64) * 1024;
    const limitS = tiny ? 120 : 3600;
    const settleMs = tiny ? 1_000 : IDLE_SETTLE_MS;
    const work = await mkdtemp(join(tmpdir(), 'fs-bench-pipeline-'));
    try {
      log(`making 1 × ${bigBytes / MiB} MiB and ${smallCount} × ${smallBytes / 1024} KiB files`);
      await makeFiles(join(work, 'big'), 1, bigBytes, () => 'big.bin');
      await makeFiles(join(work, 'small'), smallCount, smallBytes, (i) => `d${Math.floor(i / 500)}/f${String(i).padStart(6, '0')}.bin`);

      log('cp -r of the big file, then of the small files');
      const cpBig = await cp(join(work, 'big'), join(work, 'cp-big'));
      const cpSmall = await cp(join(work, 'small'), join(work, 'cp-small'));
      await rm(join(work, 'cp-big'), { recursive: true });
      await rm(join(work, 'cp-small'), { recursive: true });

      log('filesync: the big file');
      const big = await agentRun(repo, join(work, 'run-big'), join(work, 'big'), 1, bigBytes, limitS, settleMs, log);
      await rm(join(work, 'run-big'), { recursive: true });
      log('filesync: the small files');
      const small = await agentRun(repo, join(work, 'run-small'), join(work, 'small'), smallCount, smallCount * smallBytes, limitS, settleMs, log);

      const rate = (bytes: number, s: number): number => round(bytes / MiB / s, 1);
      const figures: Figures = {
        repo,
        bigMiB: bigBytes / MiB,
        smallFiles: smallCount,
        smallKiB: smallBytes / 1024,
        cpBigMiBPerSec: rate(bigBytes, cpBig.seconds),
        cpSyncBigMiBPerSec: rate(bigBytes, cpBig.syncedSeconds),
        filesyncBigMiBPerSec: rate(bigBytes, big.seconds),
        bigFractionOfCp: round(cpBig.seconds / big.seconds, 2),
        bigFractionOfCpSync: round(cpBig.syncedSeconds / big.seconds, 2),
        cpSmallFilesPerSec: Math.round(smallCount / cpSmall.seconds),
        cpSyncSmallFilesPerSec: Math.round(smallCount / cpSmall.syncedSeconds),
        filesyncSmallFilesPerSec: Math.round(smallCount / small.seconds),
        smallFractionOfCp: round(cpSmall.seconds / small.seconds, 3),
        smallFractionOfCpSync: round(cpSmall.syncedSeconds / small.seconds, 3),
        cpuSecondsPerGiBBig: round(big.cpuS / (bigBytes / GiB), 2),
        cpuSecondsPerGiBSmall: round(small.cpuS / ((smallCount * smallBytes) / GiB), 2),
        // How many times the agent reads each byte it moves (cp reads it once): the local source's copy
        // and its checksum, staging's upload read, the local target's verify, and a seal that reads back.
        bigReadsPerByte: round(big.readBytes / bigBytes, 2),
        bigPeakRssMiB: big.peakRssMiB,
        bigIdleRssMiB: big.idleRssMiB,
        bigIdleSpreadMiB: big.idleSpreadMiB,
        bigPeakOverIdle: round(big.peakRssMiB / big.idleRssMiB, 2),
        bigAfterRssMiB: big.afterRssMiB,
      };
      return figures;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
});
