import { opendir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type FaultPatch, type FtpFaults, NO_FAULTS, applyFaultPatch } from './faults';

export interface LatestDownload {
  /** The REST offset it started from, and when: a download of the same path that follows it differs in one or both. */
  readonly offset: number;
  readonly startedAt: number;
  reached: number;
  endedAt: number | null;
}

export interface SimStats {
  /** Data bytes that arrived on upload connections, faults included (what the client really sent). */
  bytesReceived: number;
  /** Data bytes handed to download connections (written to the socket), cut transfers included. */
  bytesSent: number;
  /** Received bytes per client path (e.g. `/dir/file.bin.part`). */
  received: Record<string, number>;
  /** Sent bytes per client path (e.g. `/dcim/0/IMG_0001.mp4`): a re-read of a file's prefix shows here. */
  sent: Record<string, number>;
  /**
   * The latest download of each client path: the offset it got to (REST offset + bytes written to the
   * socket) and when it ended (null while it runs). A client killed mid-download never read what was
   * still in the sockets' buffers; with what it had written down, this says how much that was.
   */
  downloads: Record<string, LatestDownload>;
  connections: number;
  transfers: number;
  renames: number;
}

function emptyStats(): SimStats {
  return { bytesReceived: 0, bytesSent: 0, received: {}, sent: {}, downloads: {}, connections: 0, transfers: 0, renames: 0 };
}

async function* filesBelow(dir: string): AsyncGenerator<string> {
  const entries = await opendir(dir).catch(() => undefined);
  if (!entries) return;
  for await (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* filesBelow(path);
    else if (e.isFile()) yield path;
  }
}

/** The simulator's mutable state, shared by its command handlers and its control API. */
export class SimState {
  faults: FtpFaults = NO_FAULTS;
  stats: SimStats = emptyStats();

  constructor(
    readonly root: string,
    readonly partSuffix: string,
    readonly offerHash: boolean,
  ) {}

  setFaults(patch: FaultPatch): FtpFaults {
    this.faults = applyFaultPatch(this.faults, patch, Date.now());
    return this.faults;
  }

  clearFaults(): FtpFaults {
    this.faults = NO_FAULTS;
    return this.faults;
  }

  resetStats(): void {
    this.stats = emptyStats();
  }

  countReceived(clientPath: string, bytes: number): void {
    this.stats.bytesReceived += bytes;
    this.stats.received[clientPath] = (this.stats.received[clientPath] ?? 0) + bytes;
  }

  downloadStarted(clientPath: string, offset: number): void {
    this.stats.downloads[clientPath] = { offset, startedAt: Date.now(), reached: offset, endedAt: null };
  }

  countSent(clientPath: string, bytes: number): void {
    this.stats.bytesSent += bytes;
    this.stats.sent[clientPath] = (this.stats.sent[clientPath] ?? 0) + bytes;
    const latest = this.stats.downloads[clientPath];
    if (latest) latest.reached += bytes;
  }

  downloadEnded(clientPath: string): void {
    const latest = this.stats.downloads[clientPath];
    if (latest) latest.endedAt = Date.now();
  }

  async usedBytes(): Promise<number> {
    let total = 0;
    for await (const file of filesBelow(this.root)) total += (await stat(file).catch(() => undefined))?.size ?? 0;
    return total;
  }

  /** Deletes every in-transit file under the root, as a server-side cleanup job would. */
  async deleteParts(): Promise<string[]> {
    const removed: string[] = [];
    for await (const file of filesBelow(this.root)) {
      if (file.endsWith(this.partSuffix) && (await unlink(file).then(() => true, () => false))) removed.push(file.slice(this.root.length));
    }
    return removed;
  }
}
