import { type ErrorData, type SourceEntry, type Staging, fileId, isFilesyncError, toErrorData } from '@filesync/core';
import type { DiskDevice } from '../src/disk-device';
import type { VolumeSource } from '../src/volume-source';

export interface StagedFile {
  readonly sourceId: string;
  readonly path: string;
  readonly size: number;
  readonly fileId: string;
  readonly sha256: string;
}

export interface FailedFile {
  readonly sourceId: string;
  readonly path: string;
  readonly reason: ErrorData;
}

/** What the copy tests need of a catalog: durable offsets, staged and failed files (in memory here). */
export class TestCatalog {
  readonly offsets = new Map<string, number>();
  readonly staged = new Map<string, StagedFile>();
  readonly failed = new Map<string, FailedFile>();
}

export interface CopyOptions {
  readonly device: DiskDevice;
  readonly staging: Staging;
  readonly catalog: TestCatalog;
  /** Called after a read failed with `device-gone`; the test re-inserts the card here. */
  readonly onDeviceGone?: () => Promise<void>;
  /** Bound on drive-gone rounds (every loop in a test is bounded). */
  readonly maxRounds?: number;
  /** Bound on immediate retries of one file's other transient errors. */
  readonly maxRetries?: number;
  readonly checkpointBytes: number;
}

export interface CopyReport {
  readonly deviceGone: number;
  /** Bytes the volume sources handed out, over every insert. */
  readonly bytesRead: number;
}

const isDeviceGone = (err: unknown): boolean => isFilesyncError(err) && err.kind === 'transient' && err.code === 'device-gone';

async function nextVolume(device: DiskDevice, previous: VolumeSource | undefined): Promise<VolumeSource> {
  // The watcher polls; asking it to look now keeps the test quick and the loop bounded.
  for (let i = 0; i < 200; i++) {
    const volume = await device.check();
    if (volume && volume !== previous) return volume;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the drive did not come back');
}

/**
 * A stand-in for the pipeline's Finder + Downloader, honest and small: lists the volume, and for each
 * file not yet staged or failed resumes from its recorded offset. `device-gone` ends the round (the
 * test re-inserts and it goes on); other transient errors retry the file; permanent ones fail it.
 */
export async function copyDrive(options: CopyOptions): Promise<CopyReport> {
  const { device, staging, catalog } = options;
  const sources = new Set<VolumeSource>();
  let deviceGone = 0;
  let volume: VolumeSource | undefined;
  const maxRounds = options.maxRounds ?? 50;

  const copyFile = async (source: VolumeSource, entry: SourceEntry): Promise<void> => {
    const id = fileId({ sourceId: source.id, ...entry });
    if (catalog.staged.has(id) || catalog.failed.has(id)) return;
    for (let attempt = 0; ; attempt++) {
      try {
        const offset = await staging.resume(id, catalog.offsets.get(id) ?? 0);
        catalog.offsets.set(id, offset);
        const end = await staging.append(id, offset, source.read(entry.path, offset), {
          checkpointBytes: options.checkpointBytes,
          checkpointMs: 1000,
          onCheckpoint: ({ offset: durable }) => void catalog.offsets.set(id, durable),
        });
        if (end !== entry.size) throw new Error(`${entry.path}: staged ${end} bytes, listed ${entry.size}`);
        const sha256 = await staging.seal(id);
        catalog.staged.set(id, { sourceId: source.id, path: entry.path, size: entry.size, fileId: id, sha256 });
        return;
      } catch (err) {
        if (isDeviceGone(err)) throw err;
        const data = toErrorData(err);
        if (data.kind === 'permanent' || attempt >= (options.maxRetries ?? 10)) {
          catalog.failed.set(id, { sourceId: source.id, path: entry.path, reason: data });
          return;
        }
      }
    }
  };

  for (let round = 0; round < maxRounds; round++) {
    volume = await nextVolume(device, volume);
    sources.add(volume);
    try {
      for await (const entry of volume.list()) await copyFile(volume, entry);
      return { deviceGone, bytesRead: [...sources].reduce((n, s) => n + s.stats().bytesRead, 0) };
    } catch (err) {
      if (!isDeviceGone(err)) throw err;
      deviceGone += 1;
      await options.onDeviceGone?.();
    }
  }
  throw new Error(`copy did not finish in ${maxRounds} rounds`);
}
