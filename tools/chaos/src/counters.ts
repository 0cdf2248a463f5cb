import { setTimeout as sleep } from 'node:timers/promises';
import { control } from './control';
import { type Manifest, type ManifestEntry, targetRel } from './manifest';
import { S3_BUCKET, s3State } from './s3-bucket';
import { type ChaosWorld, S3_TARGET } from './world';

/**
 * Bytes the simulators saw move, per file: the NAS counts bytes received per client path (the upload goes
 * to `<path>.part`), the S3 store body bytes per key, the PX4 bytes served per vehicle path, the FTP camera
 * bytes sent per client path.
 * The flash drive counts nothing the agent's reads go through.
 */
export interface CounterSnapshot {
  readonly at: number;
  /** manifest key → bytes the upload target received for that file (the NAS, or the S3 store: parts cut, sent again or of aborted uploads included). */
  readonly uploaded: ReadonlyMap<string, number>;
  /** manifest key → bytes the PX4 served, or the FTP camera sent, of that file. */
  readonly downloaded: ReadonlyMap<string, number>;
  readonly nasReceived: number;
}

interface FtpStats {
  readonly bytesReceived: number;
  readonly received: Record<string, number>;
  readonly sent: Record<string, number>;
  readonly downloads: Record<string, CameraDownload>;
}

/**
 * The camera's latest download of one path: where it started (REST offset) and when, the offset it wrote
 * up to, and when it ended (null: running).
 */
export interface CameraDownload {
  readonly offset: number;
  readonly startedAt: number;
  readonly reached: number;
  readonly endedAt: number | null;
}

/** Whether two readings of a path's latest download are of the same download. */
export const sameDownload = (a: CameraDownload, b: CameraDownload): boolean => a.offset === b.offset && a.startedAt === b.startedAt;

const SETTLE_MS = 3000;

/** The path the FTP camera's counters name a manifest file by (its client path). */
const cameraPath = (entry: ManifestEntry): string => `/${entry.path}`;

/**
 * The camera's latest download of each manifest file it served (manifest key → download), once none
 * runs any more: after a kill the camera ends a download at its next write into the dead connection.
 * Undefined if the camera does not answer or a download is still running after {@link SETTLE_MS}.
 */
export async function settledCameraDownloads(world: ChaosWorld, manifest: Manifest): Promise<Map<string, CameraDownload> | undefined> {
  const until = Date.now() + SETTLE_MS;
  for (let i = 0; i < 100 && Date.now() < until; i++) {
    const stats = await cameraStats(world);
    if (!stats) return undefined;
    if (Object.values(stats.downloads).every((d) => d.endedAt !== null)) return byManifestKey(stats, manifest);
    await sleep(30);
  }
  return undefined;
}

/** The camera's latest download of each manifest file it served, running or not; undefined if the camera does not answer. */
export async function cameraDownloads(world: ChaosWorld, manifest: Manifest): Promise<Map<string, CameraDownload> | undefined> {
  const stats = await cameraStats(world);
  return stats && byManifestKey(stats, manifest);
}

const cameraStats = (world: ChaosWorld): Promise<FtpStats | undefined> => control<FtpStats>(world.controlUrl('camera'), 'GET', '/stats').catch(() => undefined);

function byManifestKey(stats: FtpStats, manifest: Manifest): Map<string, CameraDownload> {
  const byKey = new Map<string, CameraDownload>();
  for (const [key, entry] of manifest) {
    const latest = entry.source.catalogId === 'camera' ? stats.downloads[cameraPath(entry)] : undefined;
    if (latest) byKey.set(key, latest);
  }
  return byKey;
}

/** Reads the counters; a simulator that does not answer (down on purpose) leaves its counters undefined/empty. */
export async function readCounters(world: ChaosWorld, manifest: Manifest): Promise<CounterSnapshot> {
  // A WebDAV NAS counts on its link (rclone keeps no figures); it answers as the FTP NAS's `received` does.
  const nas = world.davNas
    ? world.davNas.counts()
    : world.sims.has('nas')
      ? await control<FtpStats>(world.controlUrl('nas'), 'GET', '/stats').catch(() => undefined)
      : undefined;
  const s3 = world.sims.has(S3_TARGET) ? await s3State(world.controlUrl(S3_TARGET)).catch(() => undefined) : undefined;
  const camera = world.sims.has('camera') ? await control<FtpStats>(world.controlUrl('camera'), 'GET', '/stats').catch(() => undefined) : undefined;
  const px4 = world.sims.has('px4') ? await control<{ bytesServed: Record<string, number> }>(world.controlUrl('px4'), 'GET', '/state').catch(() => undefined) : undefined;
  const uploaded = new Map<string, number>();
  const downloaded = new Map<string, number>();
  for (const [key, entry] of manifest) {
    const onNas = `/${targetRel(entry)}`;
    // Counted under the in-transit name, and under the final name if a server ever wrote it straight.
    const up = (nas?.received[`${onNas}.part`] ?? 0) + (nas?.received[onNas] ?? 0) + (s3?.bytesReceived[`${S3_BUCKET}/${targetRel(entry)}`] ?? 0);
    uploaded.set(key, up);
    if (entry.source.catalogId === 'px4' && px4) downloaded.set(key, px4.bytesServed[`/fs/microsd/log/${entry.path}`] ?? 0);
    if (entry.source.catalogId === 'camera' && camera) downloaded.set(key, camera.sent[cameraPath(entry)] ?? 0);
  }
  return { at: Date.now(), uploaded, downloaded, nasReceived: nas?.bytesReceived ?? 0 };
}
