import type { FtpSession } from './connection-pool';

/** A RETR still running on its connection, read up to `position` (the file offset of its next byte). */
export interface RunningTransfer {
  readonly session: FtpSession;
  readonly absPath: string;
  /** What arrived and is not read yet; never `return`ed, so stopping at a chunk does not end the transfer. */
  readonly chunks: AsyncIterator<Buffer>;
  /** Settles when the RETR ends; `outcome.failure` says how. */
  readonly done: Promise<void>;
  readonly outcome: { failure: unknown };
  position: number;
}

/**
 * Transfers whose reader stopped between two chunks (the downloader ends a slice on time), kept
 * for a while for the next read of the same file from that offset. Closing the data connection
 * instead would throw away what the server had sent ahead (the socket buffers on both sides and
 * our queue, several MiB on a fast link), and the reopened RETR would send it all again: bytes
 * sent twice with no fault at all. A kept transfer holds its connection, so the pool takes one
 * back (the oldest) rather than make anyone wait for it.
 */
export class ParkedTransfers {
  private readonly kept = new Map<string, { readonly transfer: RunningTransfer; readonly timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly discard: (session: FtpSession) => void,
    /** Called once a transfer is kept: someone waiting for a connection may take this one back. */
    private readonly onParked: () => void = () => undefined,
    private readonly keepMs = 5000,
  ) {}

  park(key: string, transfer: RunningTransfer): void {
    this.drop(key);
    const timer = setTimeout(() => this.drop(key), this.keepMs);
    timer.unref();
    this.kept.set(key, { transfer, timer });
    this.onParked();
  }

  /** The transfer kept under `key` if it goes on exactly at `position`; any other one under `key` is closed. */
  take(key: string, position: number): RunningTransfer | undefined {
    const entry = this.kept.get(key);
    if (!entry) return undefined;
    if (entry.transfer.position !== position || entry.transfer.session.client.closed) {
      this.drop(key);
      return undefined;
    }
    clearTimeout(entry.timer);
    this.kept.delete(key);
    return entry.transfer;
  }

  /** The remote path of the transfer kept under `key` if it goes on at `position`. */
  absPathOf(key: string, position: number): string | undefined {
    const transfer = this.kept.get(key)?.transfer;
    return transfer?.position === position ? transfer.absPath : undefined;
  }

  /** Closes the oldest kept transfer, giving its connection back; false when none is kept. */
  dropOldest(): boolean {
    const key = this.kept.keys().next();
    if (key.done) return false;
    this.drop(key.value);
    return true;
  }

  clear(): void {
    for (const key of [...this.kept.keys()]) this.drop(key);
  }

  private drop(key: string): void {
    const entry = this.kept.get(key);
    if (!entry) return;
    this.kept.delete(key);
    clearTimeout(entry.timer);
    this.discard(entry.transfer.session);
  }
}
