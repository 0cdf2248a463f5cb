import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CameraDownload, type CounterSnapshot, cameraDownloads, readCounters, sameDownload, settledCameraDownloads } from './counters';
import { latestRows } from './delivered';
import { SamplingLoop } from './sampling-loop';
import { type Manifest, type ManifestEntry, findOnSource } from './manifest';
import { type ChaosWorld, FLIGHT_REVIEW } from './world';

/** A fault the scenario injected, with the counters just before it. */
export interface FaultRecord {
  readonly kind: string;
  /** What the agent was doing, from the catalog (e.g. `downloading`, `uploading`, `removing`). */
  readonly phase: string;
  readonly at: number;
  /** Set for faults that fire later, on whichever transfer reaches them (552 after N bytes, a quota, a cut after N bytes). */
  readonly armed: boolean;
  readonly counters: CounterSnapshot;
}

/** A staged file seen to lose more than one checkpoint of bytes (or go back to zero) while downloading. */
export interface StagingDrop {
  readonly fileId: string;
  readonly from: number;
  readonly to: number;
}

const SAMPLE_MS = 150;
/** How long after a pause the downloads it held are followed, and how often. */
const AFTER_PAUSE_MS = 15_000;
const AFTER_PAUSE_POLL_MS = 50;

/** A camera download followed across a pause. */
interface PausedDownload {
  readonly fileId: string;
  /** The latest reading of it. */
  readonly download: CameraDownload;
  /** The most the agent was seen to have written of the file during it. */
  readonly written: number;
}

/**
 * Watches a round from outside the agent: when a `move` source loses a file, its targets (the NAS, or the
 * S3 store) must already hold it intact; staged `.part` files must never shrink by more than one checkpoint; and each fault is
 * logged with the simulators' byte counters at that moment.
 */
export class RoundObserver {
  readonly faults: FaultRecord[] = [];
  /** Files that left a `move` source while the NAS did not hold them intact. */
  readonly removedEarly: string[] = [];
  readonly stagingDrops: StagingDrop[] = [];
  /**
   * Files seen under their final name on a target with fewer bytes than the source had when the
   * manifest was taken: a partial copy where readers take a finished one (an in-transit name must hold
   * it until the commit renames it). More bytes is not torn: a log that grew on the source (open-log)
   * is delivered at its grown size; a wrong copy of any size is the end-of-round sha256's to catch.
   */
  readonly tornFinals: string[] = [];
  /** Manifest key + target pairs seen under their final name (whole, or reported torn): not looked at again. */
  private readonly seenOnTarget = new Set<string>();
  /**
   * Per manifest key, bytes the camera wrote into a download's connection that the agent never got to
   * write to staging before it was killed, or before a pause made it drop the connection: they sat in the
   * sockets' buffers (megabytes on loopback, where TCP grows them), a cost of the transport that no
   * checkpoint can save.
   */
  readonly lostInFlight = new Map<string, number>();
  /** Manifest key → catalog id of its newest row, refreshed while the agent is up (a dead agent's catalog is not read). */
  private readonly fileIds = new Map<string, string>();
  private unwatchKills: (() => void) | undefined;
  private readonly missing = new Map<string, number>();
  private readonly gone = new Set<string>();
  private readonly stagingHigh = new Map<string, number>();
  private readonly loop = new SamplingLoop(() => this.sample(), SAMPLE_MS);

  constructor(
    private readonly world: ChaosWorld,
    private readonly manifest: Manifest,
    /** Bytes a staged file may lose across a crash: one checkpoint plus one read chunk. */
    private readonly dropAllowance: number,
  ) {}

  start(): void {
    this.unwatchKills = this.world.onKill((killedAt) => this.measureLostInFlight(killedAt));
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.unwatchKills?.();
    this.unwatchKills = undefined;
    await this.loop.stop();
  }

  /** Records a fault about to be injected (call just before injecting it). */
  async fault(kind: string, armed = false, knownPhase?: string): Promise<void> {
    const seen = this.world.readCatalog((c) => {
      const n = c.counts();
      const uploading = Object.values(n.byTarget).reduce((k, t) => k + (t.uploading ?? 0), 0);
      const parts: string[] = [];
      if ((n.files.downloading ?? 0) > 0) parts.push('downloading');
      if (uploading > 0) parts.push('uploading');
      if (c.listFiles({ state: 'delivered' }).some((f) => this.moveSources.has(f.sourceId))) parts.push('removing');
      for (const [key, row] of latestRows(c)) if (this.manifest.has(key)) this.fileIds.set(key, row.fileId);
      return parts.join('+') || 'idle';
    });
    const phase = knownPhase ?? seen ?? 'agent-down';
    this.faults.push({ kind, phase, at: Date.now(), armed, counters: await readCounters(this.world, this.manifest) });
  }

  private get moveSources(): Set<string> {
    return new Set([...this.manifest.values()].filter((e) => e.source.policy === 'move').map((e) => e.source.catalogId));
  }

  /** After a kill: for each camera download the kill ended, how far the camera got beyond the staged copy. */
  private async measureLostInFlight(killedAt: number): Promise<void> {
    if (!this.world.sims.has('camera')) return;
    const downloads = await settledCameraDownloads(this.world, this.manifest);
    for (const [key, latest] of downloads ?? []) {
      const id = this.fileIds.get(key);
      if (latest.endedAt === null || latest.endedAt < killedAt || id === undefined) continue;
      const staged = await stat(join(this.world.stagingDir, `${id}.part`)).then((s) => s.size, () => undefined);
      if (staged === undefined || latest.reached <= staged) continue;
      this.lostInFlight.set(key, (this.lostInFlight.get(key) ?? 0) + latest.reached - staged);
    }
  }

  /**
   * Runs `pause` — a stretch the agent's downloads may not get through as they are (its disk full:
   * a write fails, and the file goes on later from its last checkpoint over a new connection) — while
   * following the camera's downloads, and for a while after. When a new download of a file replaces one,
   * the agent dropped that connection: what the camera had sent on it beyond the most the agent was seen
   * to have written of the file never arrived, as at a kill. (A failed write leaves the file at that size
   * until the retry, so the sample at 50 ms sees it.) Returns how many downloads were dropped and the bytes
   * their sockets held.
   */
  async measureLostInFlightAround(pause: () => Promise<void>): Promise<{ dropped: number; lostBytes: number }> {
    const result = { dropped: 0, lostBytes: 0 };
    if (!this.world.sims.has('camera')) {
      await pause();
      return result;
    }
    const followed = new Map<string, PausedDownload>();
    const follow = async (): Promise<void> => {
      const now = await cameraDownloads(this.world, this.manifest);
      for (const [key, latest] of now ?? []) {
        const fileId = this.fileIds.get(key);
        if (fileId === undefined) continue;
        const known = followed.get(key);
        if (known && !sameDownload(known.download, latest)) {
          const lost = Math.max(0, known.download.reached - known.written);
          this.lostInFlight.set(key, (this.lostInFlight.get(key) ?? 0) + lost);
          result.dropped++;
          result.lostBytes += lost;
        }
        if (latest.endedAt !== null && (!known || !sameDownload(known.download, latest))) {
          followed.delete(key);
          continue;
        }
        const written = await this.stagedSize(fileId);
        const same = known !== undefined && sameDownload(known.download, latest);
        followed.set(key, { fileId, download: latest, written: same ? Math.max(known.written, written) : written });
      }
    };
    let paused = true;
    const during = pause().finally(() => {
      paused = false;
    });
    // A download that ended before the agent had what it sent is followed until the one replacing it
    // shows (the agent asks again after its backoff), the file is staged after all, or the bound passes.
    const stillDownloading = (fileId: string): boolean => {
      const state = this.world.readCatalog((c) => c.getFile(fileId)?.state);
      return state === undefined || state === 'found' || state === 'downloading';
    };
    const unsettled = (): boolean =>
      [...followed.values()].some((f) => f.download.endedAt === null || (f.written < f.download.reached && stillDownloading(f.fileId)));
    let until = Infinity;
    for (let i = 0; i < 100_000 && (paused || (unsettled() && Date.now() < until)); i++) {
      if (!paused && until === Infinity) until = Date.now() + AFTER_PAUSE_MS;
      await follow();
      await sleep(AFTER_PAUSE_POLL_MS);
    }
    await during;
    return result;
  }

  /** Bytes of a file in staging, in transit or sealed (0 when neither is there). */
  private async stagedSize(fileId: string): Promise<number> {
    for (const name of [`${fileId}.part`, fileId]) {
      const size = await stat(join(this.world.stagingDir, name)).then((st) => st.size, () => undefined);
      if (size !== undefined) return size;
    }
    return 0;
  }

  private async sample(): Promise<void> {
    await this.sampleMoves();
    await this.sampleStaging();
    await this.sampleFinalNames();
  }

  /** Every final name on a target's disk holds nothing or the whole file, never a part of it. */
  private async sampleFinalNames(): Promise<void> {
    for (const [key, entry] of this.manifest) {
      // An upload site names a log itself: it has no final name of ours to look at.
      for (const target of entry.source.targets.filter((t) => t !== FLIGHT_REVIEW)) {
        const seen = `${key}\u0000${target}`;
        if (this.seenOnTarget.has(seen)) continue;
        const size = await stat(this.world.targetFile(entry, target)).then((s) => s.size, () => undefined);
        if (size === undefined) continue;
        this.seenOnTarget.add(seen);
        if (size < entry.size) this.tornFinals.push(`${entry.source.catalogId}:${entry.path} was under its final name on ${target} with ${size} of ${entry.size} bytes`);
      }
    }
  }

  private async sampleMoves(): Promise<void> {
    for (const [key, entry] of this.manifest) {
      if (entry.source.policy !== 'move' || this.gone.has(key)) continue;
      if (await this.presentOnSource(entry)) {
        this.missing.delete(key);
        continue;
      }
      // Gone twice in a row: not a card caught between its mount point and its backing directory.
      const seen = (this.missing.get(key) ?? 0) + 1;
      this.missing.set(key, seen);
      if (seen < 2) continue;
      this.gone.add(key);
      // An upload site is checked by its logs' content at the end (upload-site.ts), not here.
      for (const target of entry.source.targets.filter((t) => t !== FLIGHT_REVIEW)) {
        const sha = await this.world.targetSha256(entry, target).catch(() => undefined);
        if (sha !== entry.sha256) this.removedEarly.push(`${entry.source.catalogId}:${entry.path} left the source while ${target === 'nas' ? 'the NAS' : target} had ${sha === undefined ? 'nothing' : 'other bytes'}`);
      }
    }
  }

  /**
   * A card moves between its mount point and its backing directory by one rename: looking at the first,
   * the second, then the first again sees the file wherever that rename lands (one rename per look).
   */
  private async presentOnSource(entry: ManifestEntry): Promise<boolean> {
    for (let i = 0; i < 3; i++) {
      if ((await findOnSource(entry)) !== undefined) return true;
    }
    return false;
  }

  private async sampleStaging(): Promise<void> {
    for (const name of await readdir(this.world.stagingDir).catch(() => [] as string[])) {
      if (!name.endsWith('.part')) continue;
      const fileId = name.slice(0, -'.part'.length);
      const size = await stat(join(this.world.stagingDir, name)).then((s) => s.size, () => undefined);
      if (size === undefined) continue;
      const high = this.stagingHigh.get(fileId) ?? 0;
      if (size < high - this.dropAllowance) {
        this.stagingDrops.push({ fileId, from: high, to: size });
        this.stagingHigh.set(fileId, size);
      } else if (size > high) this.stagingHigh.set(fileId, size);
    }
  }
}
