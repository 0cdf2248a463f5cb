import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Not '@filesync/core/testing': its conformance suites import vitest, which the CLI runner is not under.
import { type SmallDisk, mountSmallDisk } from '@filesync/core/testing/small-disk';
import { type Catalog, openCatalogForReading } from '@filesync/store';
import { REPO_ROOT, type RunningSimulator, type SimulatorName, startSimulator } from '@filesync/core';
import type { ConfigInput } from '@filesync/core/config';
import { type AgentProcess, killAgent, startAgentProcess, stopAgent, untilServing } from './agent-process';
import { KIB, MIB, writeCameraFiles, writeLocalFiles } from './content';
import { type ManifestEntry, sha256File, targetRel } from './manifest';
import { S3_BUCKET, S3_CREDENTIALS, S3_PARTS_IN_FLIGHT, S3_PART_BYTES, createBucket, objectSha256 } from './s3-bucket';
import type { Rng } from './prng';
import { type DavNas, startDavNas } from './webdav/dav-nas';

/** Which simulated devices a round uses and how much they hold. Every scenario uses this one drone. */
export interface Topology {
  /** A PX4 over MAVFTP/UDP (copy). MAVFTP moves a few hundred KiB/s: keep it to a few small logs. */
  readonly px4?: {
    readonly logs: number;
    readonly minBytes: number;
    readonly maxBytes: number;
    /** PX4's logger from boot (SDLOG_MODE 1): an open log growing at `bytesPerSec` from the start. */
    readonly logging?: { readonly mode: 'boot' | 'armed'; readonly bytesPerSec: number };
  };
  /** A FLIR flash drive under `move`. */
  readonly flash?: { readonly sessions: number; readonly images: number; readonly videos: number; readonly jpegKib: string; readonly videoMib: string };
  /** An FTP camera (copy unless `policy` says otherwise), files written by the runner. */
  readonly camera?: { readonly files: number; readonly maxBytes: number; readonly bandwidth?: number; readonly policy?: 'copy' | 'move' };
  /**
   * A local directory (`field`, at `<world>/field`) under `move`, which the scenario fills and changes
   * itself (changing-world); its `*.ulg` go to Flight Review too when the world has the site.
   */
  readonly local?: {
    readonly pollIntervalSec?: number;
    /** Files written there before the manifest is taken (`count` of them, sizes between the bounds), for a scenario that does not fill the directory itself. */
    readonly files?: { readonly count: number; readonly minBytes: number; readonly maxBytes: number };
  };
  /** A simulated Flight Review site the PX4 logs also go to, as in the demo (needs `px4`). */
  readonly flightReview?: boolean;
  /**
   * The NAS every source goes to (give it, or `s3`): the FTP simulator, or (`protocol: 'webdav'`)
   * `rclone serve webdav` behind a counting link (`webdav/dav-nas.ts`; `quotaBytes` is the FTP
   * simulator's only), which with `partialUpdates` gives rclone Sabre's PATCH append, so that uploads resume.
   */
  readonly nas?: { readonly bandwidth?: number; readonly quotaBytes?: number; readonly protocol?: 'ftp' | 'webdav'; readonly partialUpdates?: boolean };
  /**
   * An S3 store (simulators/s3) every source goes to instead of the NAS, through the agent's S3 target:
   * multipart uploads of {@link S3_PART_BYTES} parts from that size on; the store reads bodies at most at
   * `bandwidth` bytes/s, so that a part is in flight long enough to be cut in the middle.
   */
  readonly s3?: { readonly bandwidth?: number };
  /**
   * Preload the fsync journal into the agent (and its workers, through NODE_OPTIONS), so that a cut can
   * drop what was written to staging since its last fsync.
   */
  readonly tornWrites?: boolean;
  /**
   * Preload the unlink hook into the agent, so that a cut can be armed to land just before or just after
   * the cleaner deletes a file from the flash drive.
   */
  readonly removalCuts?: boolean;
  /** Staging options for the agent (a disk-full scenario sets a quota). */
  readonly staging?: { readonly maxBytes?: number };
  /**
   * The agent's data directory — catalog, staging, logs, as the default layout has them — on a disk of its
   * own of `bytes` (a tmpfs, mounted as root), which the scenario can fill; downloads wait while less than
   * `reserveBytes` is free.
   */
  readonly dataDisk?: { readonly bytes: number; readonly reserveBytes: number };
}

/** One source as the checks see it: where its files are, under which catalog id, and its policy. */
export interface SourceInfo {
  readonly configId: string;
  /** The id the catalog files rows under (`flir:<uuid>` for a drive). */
  readonly catalogId: string;
  readonly policy: 'copy' | 'move';
  /** Directories that may hold the source's files now (a pulled card's files sit in its backing directory). */
  readonly dirs: readonly string[];
  readonly keep: (rel: string) => boolean;
  readonly targets: readonly string[];
  /** The targets of one file, where they differ by file (the local source's `*.ulg` also go to Flight Review); else `targets`. */
  readonly targetsOf?: (rel: string) => readonly string[];
}

export interface WorldOptions {
  /** Checkout the agent runs from (default: this one). */
  readonly agentRoot?: string;
  /** Leave the temp directory for inspection. */
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
}

const FSYNC_JOURNAL_MODULE = fileURLToPath(new URL('./torn-writes/fsync-journal.mjs', import.meta.url));
const CUT_AT_UNLINK_MODULE = fileURLToPath(new URL('./removal-cuts/cut-at-unlink.mjs', import.meta.url));

export const FTP_LOGIN = { user: 'filesync', password: 'filesync' } as const;
/** The Flight Review simulator's name, and its target's id. */
export const FLIGHT_REVIEW = 'flight-review';
/** The S3 store's simulator name, and its target's id. */
export const S3_TARGET = 's3';
/** The local source's config and catalog id. */
export const LOCAL_SOURCE = 'field';
/** Small checkpoints, so that a resume from the durable offset and a restart from zero differ in the counters. */
export const CHECKPOINT_BYTES = 256 * KIB;

/** A temp directory with the simulators running, the agent's config, and the agent process (started and killed at will). */
export class ChaosWorld {
  readonly sims = new Map<string, RunningSimulator>();
  /** The NAS when it speaks WebDAV (it is then not in `sims`). */
  davNas: DavNas | undefined;
  readonly sources: SourceInfo[] = [];
  agent: AgentProcess | undefined;
  /**
   * False from the moment a kill is decided. The catalog is read only while the agent is up: the last
   * connection to close checkpoints the WAL, which would tidy up after a crash the agent must survive itself.
   */
  private agentUp = false;
  /** Agent starts, including the first. */
  starts = 0;
  private readonly killWatchers = new Set<(killedAt: number) => Promise<void>>();

  private constructor(
    readonly dir: string,
    readonly options: WorldOptions,
  ) {}

  private tornWrites = false;
  private removalCuts = false;
  /** The target every source goes to: the FTP NAS, or the S3 store. */
  private uploadTarget = 'nas';
  /** The data directory's own small disk, when the topology asks for one and it could be mounted. */
  dataDisk: SmallDisk | undefined;

  get dataDir(): string {
    return this.dataDisk ? join(this.dataDisk.dir, 'data') : join(this.dir, 'data');
  }
  get storePath(): string {
    return join(this.dataDir, 'catalog.db');
  }
  get stagingDir(): string {
    return join(this.dataDir, 'staging');
  }
  /** The fsync journal of the torn-writes scenario. */
  get fsyncJournal(): string {
    return join(this.dir, 'fsync-journal.tsv');
  }
  /** The removal-cuts scenario's trigger: while it exists, the agent's next unlink on the flash drive is a cut. */
  get removalCutTrigger(): string {
    return join(this.dir, 'removal-cut.trigger');
  }
  /** The local source's directory (topology `local`). */
  get localDir(): string {
    return join(this.dir, 'field');
  }
  get configFile(): string {
    return join(this.dir, 'config.json');
  }
  simRoot(name: string): string {
    return join(this.dir, 'sim', name);
  }
  /** The directory a target stores into, seen from the server's side. */
  targetRoot(target: string): string {
    return target === 'nas' && this.davNas ? this.davNas.root : this.simRoot(target);
  }
  /** A manifest file's path on a target's disk. */
  targetFile(entry: ManifestEntry, target: string): string {
    return join(this.targetRoot(target), targetRel(entry));
  }
  /** Whether the NAS lets an interrupted upload go on (FTP REST/APPE: yes; rclone's WebDAV: only with the link's partial updates). */
  get nasResumes(): boolean {
    return this.davNas?.canResume ?? true;
  }
  sim(name: string): RunningSimulator {
    const s = this.sims.get(name);
    if (!s) throw new Error(`no simulator ${name} in this round`);
    return s;
  }
  controlUrl(name: string): string {
    return String(this.sim(name).ready['control']);
  }

  static async create(topology: Topology, rng: Rng, options: WorldOptions = {}): Promise<ChaosWorld> {
    const world = new ChaosWorld(await mkdtemp(join(tmpdir(), 'fs-chaos-')), options);
    try {
      world.tornWrites = topology.tornWrites === true;
      world.removalCuts = topology.removalCuts === true;
      if (topology.s3) world.uploadTarget = S3_TARGET;
      else if (!topology.nas) throw new Error('a chaos world needs a target: nas or s3');
      await world.startSimulators(topology, rng);
      if (topology.s3) await createBucket(String(world.sim(S3_TARGET).ready['s3']));
      if (topology.local) await mkdir(world.localDir, { recursive: true });
      if (topology.local?.files) await writeLocalFiles(world.localDir, topology.local.files, rng.fork('local'));
      if (topology.dataDisk) {
        // Undefined without root (CI, which is root, makes that an error): the round then cannot fill it.
        world.dataDisk = mountSmallDisk(topology.dataDisk.bytes, join(world.dir, 'data-disk'));
        if (!world.dataDisk) options.log?.(`cannot mount a tmpfs for the agent's data (it needs root): no fault fills its disk`);
      }
      await writeFile(world.configFile, JSON.stringify(world.config(topology), null, 2));
    } catch (err) {
      await world.cleanup();
      throw err;
    }
    return world;
  }

  private async startSimulators(t: Topology, rng: Rng): Promise<void> {
    const start = async (name: string, kind: SimulatorName, args: string[]): Promise<void> => {
      this.sims.set(name, await startSimulator(kind, ['--root', this.simRoot(name), '--port', '0', ...args]));
    };
    if (t.camera) await writeCameraFiles(this.simRoot('camera'), t.camera.files, t.camera.maxBytes, rng.fork('camera'));
    const bw = (b: number | undefined): string[] => (b === undefined ? [] : ['--bandwidth', String(b)]);
    const startNas = async (): Promise<void> => {
      if (!t.nas) return;
      if (t.nas.protocol === 'webdav') this.davNas = await startDavNas({ bandwidth: t.nas.bandwidth, partialUpdates: t.nas.partialUpdates });
      else await start('nas', 'ftp', ['--no-seed', ...bw(t.nas.bandwidth), ...(t.nas.quotaBytes === undefined ? [] : ['--quota', String(t.nas.quotaBytes)])]);
    };
    await Promise.all([
      startNas(),
      t.s3 ? start(S3_TARGET, 's3', ['--no-seed', ...bw(t.s3.bandwidth)]) : undefined,
      t.camera ? start('camera', 'ftp', bw(t.camera.bandwidth)) : undefined,
      t.flightReview ? start(FLIGHT_REVIEW, 'flight-review', []) : undefined,
      t.px4
        ? start('px4', 'px4', [
            '--no-pty',
            '--logs', String(t.px4.logs),
            '--min-bytes', String(t.px4.minBytes),
            '--max-bytes', String(t.px4.maxBytes),
            '--seed', String(rng.int(1, 1e6)),
            ...(t.px4.logging ? ['--logging', t.px4.logging.mode, '--log-rate', String(t.px4.logging.bytesPerSec)] : []),
          ])
        : undefined,
      t.flash
        ? start('flash', 'flash', [
            '--seed', String(rng.int(1, 1e6)),
            '--sessions', String(t.flash.sessions),
            '--images', String(t.flash.images),
            '--videos', String(t.flash.videos),
            '--jpeg-kib', t.flash.jpegKib,
            '--video-mib', t.flash.videoMib,
          ])
        : undefined,
    ]);
  }

  private config(t: Topology): ConfigInput {
    const sources: NonNullable<ConfigInput['sources']> = [];
    const routes: NonNullable<ConfigInput['routes']> = [];
    const up = this.uploadTarget;
    if (t.px4) {
      sources.push({ id: 'px4', type: 'mavftp', link: `udpout:${String(this.sim('px4').ready['udp'])}`, logDir: '/fs/microsd/log', pollIntervalSec: 1 });
      const targets = t.flightReview ? [up, FLIGHT_REVIEW] : [up];
      routes.push({ source: 'px4', targets, filter: { include: ['**/*.ulg'] } });
      this.sources.push({ configId: 'px4', catalogId: 'px4', policy: 'copy', dirs: [join(this.simRoot('px4'), 'fs', 'microsd', 'log')], keep: (p) => p.endsWith('.ulg'), targets });
    }
    if (t.flash) {
      const ready = this.sim('flash').ready;
      const uuid = String(ready['uuid']);
      sources.push({ id: 'flir', type: 'disk', match: { uuid }, mountTable: String(ready['mountTable']), diskDir: String(ready['diskDir']), pollIntervalSec: 1 });
      routes.push({ source: 'flir', targets: [up], policy: 'move' });
      this.sources.push({
        configId: 'flir',
        catalogId: `flir:${uuid}`,
        policy: 'move',
        dirs: [String(ready['mountPoint']), join(this.simRoot('flash'), 'cards', uuid)],
        keep: () => true,
        targets: [up],
      });
    }
    if (t.camera) {
      const policy = t.camera.policy ?? 'copy';
      sources.push({ id: 'camera', type: 'ftp', url: String(this.sim('camera').ready['ftp']), ...FTP_LOGIN, pollIntervalSec: 1 });
      routes.push({ source: 'camera', targets: [up], policy });
      this.sources.push({ configId: 'camera', catalogId: 'camera', policy, dirs: [this.simRoot('camera')], keep: () => true, targets: [up] });
    }
    if (t.local) {
      const dir = this.localDir;
      sources.push({ id: LOCAL_SOURCE, type: 'local', dir, pollIntervalSec: t.local.pollIntervalSec ?? 1 });
      const ulog = ['**/*.ulg'];
      if (t.flightReview) {
        routes.push({ source: LOCAL_SOURCE, targets: [up], policy: 'move', filter: { include: ['**/*'], exclude: ulog } });
        routes.push({ source: LOCAL_SOURCE, targets: [up, FLIGHT_REVIEW], policy: 'move', filter: { include: ulog, exclude: [] } });
      } else routes.push({ source: LOCAL_SOURCE, targets: [up], policy: 'move' });
      const site = (p: string): string[] => (t.flightReview && p.endsWith('.ulg') ? [up, FLIGHT_REVIEW] : [up]);
      this.sources.push({ configId: LOCAL_SOURCE, catalogId: LOCAL_SOURCE, policy: 'move', dirs: [dir], keep: () => true, targets: [up, ...(t.flightReview ? [FLIGHT_REVIEW] : [])], targetsOf: site });
    }
    return {
      dataDir: this.dataDir,
      log: { level: 'info' },
      status: { host: '127.0.0.1', port: 0 },
      staging: {
        reserveBytes: this.dataDisk ? (t.dataDisk?.reserveBytes ?? 0) : 0,
        checkpointBytes: CHECKPOINT_BYTES,
        checkpointMs: 500,
        ...(t.staging?.maxBytes === undefined ? {} : { maxBytes: t.staging.maxBytes }),
      },
      // Frequent backups, so that a damaged catalog has a recent one to come back from.
      store: { backups: 3, backupIntervalSec: 2 },
      sources,
      targets: [...this.uploadTargetConfig(t), ...this.flightReviewTarget(t)],
      routes,
    };
  }

  /** The NAS (collision `rename`) over FTP or WebDAV, or the S3 store with the smallest parts the config allows. */
  private uploadTargetConfig(t: Topology): NonNullable<ConfigInput['targets']> {
    if (t.s3) {
      const endpoint = String(this.sim(S3_TARGET).ready['s3']);
      return [{ id: S3_TARGET, type: 's3', endpoint, bucket: S3_BUCKET, ...S3_CREDENTIALS, partSize: S3_PART_BYTES, partConcurrency: S3_PARTS_IN_FLIGHT, multipartThreshold: S3_PART_BYTES, collision: 'rename' }];
    }
    const dav = this.davNas;
    // A short silence limit: a request cut by the server's death is retried in seconds, not a minute.
    if (dav) return [{ id: 'nas', type: 'webdav', url: dav.url, user: dav.user, password: dav.password, collision: 'rename', timeoutSec: 10 }];
    return [{ id: 'nas', type: 'ftp', url: String(this.sim('nas').ready['ftp']), ...FTP_LOGIN, collision: 'rename' }];
  }

  /**
   * sha256 of a manifest file's copy on `target` (the NAS's file on its disk, the S3 store's object as a
   * client reads it back); undefined when there is none.
   */
  async targetSha256(entry: ManifestEntry, target: string): Promise<string | undefined> {
    if (target === S3_TARGET) return objectSha256(String(this.sim(S3_TARGET).ready['s3']), targetRel(entry));
    return sha256File(this.targetFile(entry, target)).catch(() => undefined);
  }

  /** The demo's Flight Review target: like the real site, no way to ask whether a cut POST landed. */
  private flightReviewTarget(t: Topology): NonNullable<ConfigInput['targets']> {
    if (!t.flightReview) return [];
    const url = String(this.sim(FLIGHT_REVIEW).ready['http']);
    return [{ id: FLIGHT_REVIEW, type: 'http', mode: 'flight-review', url, fields: { description: 'filesync chaos', email: 'chaos@example.com' } }];
  }

  /**
   * Starts the agent (the previous process must be gone). Does not wait for it to serve. `cutAtFsync`
   * (torn-writes only): the probability that an fsync of a staging file is a power cut instead.
   */
  startAgent(options: { cutAtFsync?: number; seed?: number } = {}): AgentProcess {
    if (this.agent?.isRunning()) throw new Error('the agent is already running');
    this.starts++;
    const preload = (module: string): string => `${process.env['NODE_OPTIONS'] ?? ''} --import ${module}`.trim();
    const env = this.tornWrites
      ? {
          NODE_OPTIONS: preload(FSYNC_JOURNAL_MODULE),
          FILESYNC_CHAOS_FSYNC_JOURNAL: this.fsyncJournal,
          FILESYNC_CHAOS_FSYNC_DIR: this.stagingDir,
          FILESYNC_CHAOS_CUT_AT_FSYNC: String(options.cutAtFsync ?? 0),
          FILESYNC_CHAOS_CUT_SEED: String(options.seed ?? this.starts),
        }
      : this.removalCuts
        ? {
            NODE_OPTIONS: preload(CUT_AT_UNLINK_MODULE),
            FILESYNC_CHAOS_UNLINK_TRIGGER: this.removalCutTrigger,
            FILESYNC_CHAOS_UNLINK_DIRS: this.sources.filter((s) => s.policy === 'move').flatMap((s) => s.dirs).join(delimiter),
          }
        : {};
    this.agent = startAgentProcess(this.options.agentRoot ?? REPO_ROOT, this.configFile, env);
    this.agentUp = true;
    return this.agent;
  }

  async killAgent(): Promise<void> {
    this.agentUp = false;
    const killedAt = Date.now();
    if (this.agent) await killAgent(this.agent);
    for (const watch of this.killWatchers) await watch(killedAt);
  }

  /** `watch` runs after each kill, before anything starts again; returns the way to stop watching. */
  onKill(watch: (killedAt: number) => Promise<void>): () => void {
    this.killWatchers.add(watch);
    return () => this.killWatchers.delete(watch);
  }

  /**
   * The end of a round: SIGTERM once the agent serves. A SIGTERM during start-up ends the process at
   * once by design (exit 143, docs/operations.md), which is not the graceful stop this checks; a round
   * whose files were all delivered before its last restart would otherwise send it in that window.
   */
  async stopAgent(boundMs?: number): Promise<'clean' | 'killed' | 'failed' | 'not-running'> {
    const agent = this.agent;
    if (!agent) return 'not-running';
    await untilServing(agent, 90_000);
    this.agentUp = false;
    return stopAgent(agent, boundMs);
  }

  /**
   * Runs `fn` on a read-only view of the catalog; undefined while the agent is down (unless `evenIfDown`,
   * for the final checks after a clean stop), while there is none, or while it cannot be read.
   */
  readCatalog<T>(fn: (catalog: Catalog) => T, evenIfDown = false): T | undefined {
    if (!evenIfDown && (!this.agentUp || !this.agent?.isRunning())) return undefined;
    let catalog: Catalog | undefined;
    try {
      catalog = openCatalogForReading(this.storePath);
      return fn(catalog);
    } catch {
      return undefined;
    } finally {
      // A damaged file (corrupt-state) can fail the close too; that must not escape a read that already failed softly.
      try {
        catalog?.close();
      } catch {
        // nothing to do: the connection is gone either way
      }
    }
  }

  async cleanup(): Promise<void> {
    if (this.agent?.isRunning()) await killAgent(this.agent);
    await Promise.all([...this.sims.values()].map((s) => s.stop()));
    if (this.davNas) {
      // rclone's root is its own temp directory: a kept world keeps a copy of what the server held.
      if (this.options.keep) await cp(this.davNas.root, this.simRoot('nas'), { recursive: true }).catch(() => undefined);
      await this.davNas.stop();
    }
    if (this.dataDisk) {
      // The disk goes with its mount: a kept world keeps a copy of what the agent left on it.
      if (this.options.keep) await cp(this.dataDir, join(this.dir, 'data'), { recursive: true }).catch(() => undefined);
      this.dataDisk.remove();
      this.dataDisk = undefined;
    }
    if (!this.options.keep) await rm(this.dir, { recursive: true, force: true });
  }
}

export { MIB };
