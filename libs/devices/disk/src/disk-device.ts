import { type Clock, type ErrorData, TransientError } from '@filesync/core';
import { MountWatcher } from './mount-watcher';
import { presenceCheck } from './presence';
import { ReadFailureTracker } from './read-failure-tracker';
import { type ReadGate, type VolumeSource, createVolumeSource } from './volume-source';
import { type DriveMatch, type MountedDrive, volumeSourceId } from './volume-identity';

/**
 * Options of a disk device. The field names are those of the `disk` source config
 * (`@filesync/core` `diskSourceSchema`), so a parsed config entry can be passed as is.
 */
export interface DiskDeviceOptions {
  /** Config id; volume source ids are `<id>:<volume uuid>`. */
  readonly id: string;
  readonly match: DriveMatch;
  /** Sub-directory of the drive to collect from; default "" (the whole drive). */
  readonly dir?: string;
  /** Default `/proc/self/mountinfo`; a directory is read as a macOS `/Volumes` listing. */
  readonly mountTable?: string;
  /** Directory of udev's `by-uuid`/`by-label` links; default `/dev/disk`. */
  readonly diskDir?: string;
  /** Default 1 MiB. */
  readonly readChunkBytes?: number;
  /** Identical read failures of one file before it is given up; default 3. */
  readonly maxReadFailures?: number;
  /** Milliseconds between looks at the mount table; default 1000. */
  readonly mountPollMs?: number;
  /** Offer `remove` (the `move` policy); default true. */
  readonly canRemove?: boolean;
  readonly clock?: Clock;
  /** See `ReadGate`: unset in production, the flash simulator's seam in tests. */
  readonly readGate?: ReadGate;
}

export type DiskEvent =
  | { readonly type: 'disk.drive-mounted'; readonly drive: MountedDrive; readonly source: VolumeSource }
  | { readonly type: 'disk.drive-removed'; readonly drive: MountedDrive; readonly sourceId: string };

export interface DiskStatus {
  readonly mounted: boolean;
  readonly sourceId: string | undefined;
  readonly drive: MountedDrive | undefined;
  /** Why the mount table could not be read, if it could not. */
  readonly error: ErrorData | undefined;
}

/** A removable drive: watches for it, and hands out a `Source` per mounted volume. */
export interface DiskDevice {
  readonly id: string;
  /** Per-file read failures of all volumes seen; outlives each volume so a re-inserted card keeps its counts. */
  readonly failures: ReadFailureTracker;
  /** Looks at the mount table once (events fire for what it finds), then keeps watching. */
  start(): Promise<void>;
  /** Looks now instead of waiting for the next poll. */
  check(): Promise<VolumeSource | undefined>;
  /** The source of the volume mounted now, if any. */
  current(): VolumeSource | undefined;
  status(): DiskStatus;
  subscribe(listener: (event: DiskEvent) => void): () => void;
  /** Resolves with the next mounted volume (at once if one is mounted); rejects when `signal` aborts. */
  waitForVolume(signal?: AbortSignal): Promise<VolumeSource>;
  close(): Promise<void>;
}

export const DISK_DEFAULTS = {
  dir: '',
  mountTable: '/proc/self/mountinfo',
  diskDir: '/dev/disk',
  readChunkBytes: 1024 * 1024,
  maxReadFailures: 3,
  mountPollMs: 1000,
} as const;

export function createDiskDevice(options: DiskDeviceOptions): DiskDevice {
  const mountTable = options.mountTable ?? DISK_DEFAULTS.mountTable;
  const diskDir = options.diskDir ?? DISK_DEFAULTS.diskDir;
  const failures = new ReadFailureTracker(options.maxReadFailures ?? DISK_DEFAULTS.maxReadFailures);
  const watcher = new MountWatcher({
    mountTable,
    diskDir,
    match: options.match,
    pollMs: options.mountPollMs ?? DISK_DEFAULTS.mountPollMs,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const listeners = new Set<(event: DiskEvent) => void>();
  let volume: VolumeSource | undefined;
  // Events are handled one after another: opening a volume is async, and a quick unplug + re-insert
  // must not let "mounted" overtake the "removed" before it.
  let queue: Promise<void> = Promise.resolve();

  const emit = (event: DiskEvent): void => {
    for (const listener of listeners) listener(event);
  };

  watcher.subscribe((event) => {
    queue = queue.then(async () => {
      if (event.type === 'disk.drive-removed') {
        const sourceId = volume?.id ?? volumeSourceId(options.id, event.drive);
        volume = undefined;
        emit({ type: 'disk.drive-removed', drive: event.drive, sourceId });
        return;
      }
      const isPresent = await presenceCheck(event.drive, { mountTable, diskDir });
      volume = createVolumeSource({
        sourceId: volumeSourceId(options.id, event.drive),
        drive: event.drive,
        dir: options.dir ?? DISK_DEFAULTS.dir,
        readChunkBytes: options.readChunkBytes ?? DISK_DEFAULTS.readChunkBytes,
        tracker: failures,
        isPresent,
        ...(options.canRemove === undefined ? {} : { canRemove: options.canRemove }),
        ...(options.readGate ? { readGate: options.readGate } : {}),
        onGone: () => void watcher.check(),
      });
      emit({ type: 'disk.drive-mounted', drive: event.drive, source: volume });
    });
  });

  const subscribe = (listener: (event: DiskEvent) => void): (() => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };

  const check = async (): Promise<VolumeSource | undefined> => {
    await watcher.check();
    await queue;
    return volume;
  };

  return {
    id: options.id,
    failures,
    async start() {
      await watcher.start();
      await queue;
    },
    check,
    current: () => volume,
    status: () => ({ mounted: volume !== undefined, sourceId: volume?.id, drive: volume?.drive, error: watcher.lastError() }),
    subscribe,
    waitForVolume(signal) {
      return new Promise<VolumeSource>((resolve, reject) => {
        if (volume) return resolve(volume);
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = (): void => {
          unsubscribe();
          reject(signal?.reason ?? new TransientError('cancelled', 'stopped waiting for the drive'));
        };
        const unsubscribe = subscribe((event) => {
          if (event.type !== 'disk.drive-mounted') return;
          unsubscribe();
          signal?.removeEventListener('abort', onAbort);
          resolve(event.source);
        });
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    async close() {
      watcher.close();
      await queue;
      listeners.clear();
    },
  };
}
