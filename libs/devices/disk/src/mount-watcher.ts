import { type Clock, type ErrorData, systemClock, toErrorData } from '@filesync/core';
import { readMountTable } from './mount-table';
import { type DriveMatch, type MountedDrive, findDrive, readVolumeLinks } from './volume-identity';

export type MountEvent =
  | { readonly type: 'disk.drive-mounted'; readonly drive: MountedDrive }
  | { readonly type: 'disk.drive-removed'; readonly drive: MountedDrive };

export interface MountWatcherOptions {
  /** `/proc/self/mountinfo`, or a `/Volumes`-style directory. */
  readonly mountTable: string;
  /** Directory holding udev's `by-uuid` and `by-label` links; normally `/dev/disk`. */
  readonly diskDir: string;
  readonly match: DriveMatch;
  /** Milliseconds between looks at the mount table; default 1000. */
  readonly pollMs?: number;
  readonly clock?: Clock;
}

// mountinfo changes are announced by poll(POLLPRI), which Node cannot wait on, and fs.watch misses
// files that are replaced by rename; reading a few kilobytes every second is cheap and always right.
const DEFAULT_POLL_MS = 1000;

const sameMount = (a: MountedDrive | undefined, b: MountedDrive | undefined): boolean =>
  a?.mountId === b?.mountId && a?.device === b?.device && a?.mountPoint === b?.mountPoint && a?.uuid === b?.uuid;

/**
 * Watches the mount table for the drive `match` names and reports it coming and going. A card pulled
 * and re-inserted between two looks still gives removed then mounted, since every mount has a new id.
 */
export class MountWatcher {
  private drive: MountedDrive | undefined;
  private error: ErrorData | undefined;
  private readonly listeners = new Set<(event: MountEvent) => void>();
  private timer: unknown;
  private running: Promise<MountedDrive | undefined> | undefined;
  private closed = false;
  private readonly clock: Clock;

  constructor(private readonly options: MountWatcherOptions) {
    this.clock = options.clock ?? systemClock;
  }

  current(): MountedDrive | undefined {
    return this.drive;
  }

  /** Why the last look failed (an unreadable mount table), for status; undefined when it worked. */
  lastError(): ErrorData | undefined {
    return this.error;
  }

  subscribe(listener: (event: MountEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Looks now; concurrent calls share one look. Resolves to the drive mounted after it. */
  check(): Promise<MountedDrive | undefined> {
    this.running ??= this.look().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Looks once, then every `pollMs` until `close`. */
  async start(): Promise<void> {
    await this.check();
    this.schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.clock.setTimeout(() => {
      void this.check().finally(() => this.schedule());
    }, this.options.pollMs ?? DEFAULT_POLL_MS);
  }

  private async look(): Promise<MountedDrive | undefined> {
    let found: MountedDrive | undefined;
    try {
      const [entries, links] = await Promise.all([readMountTable(this.options.mountTable), readVolumeLinks(this.options.diskDir)]);
      found = await findDrive(this.options.match, entries, links);
      this.error = undefined;
    } catch (err) {
      // An unreadable table tells nothing about the drive: keep what we knew, and say why in status.
      this.error = toErrorData(err);
      return this.drive;
    }
    if (this.closed || sameMount(found, this.drive)) return this.drive;
    const previous = this.drive;
    this.drive = found;
    if (previous) this.emit({ type: 'disk.drive-removed', drive: previous });
    if (found) this.emit({ type: 'disk.drive-mounted', drive: found });
    return found;
  }

  private emit(event: MountEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
