import type { Clock } from '@filesync/core';
import { type TimeReading, readListDate, sameInstant } from './list-date';

/** What MDTM said about one file. */
export type MdtmAnswer =
  | { readonly kind: 'time'; readonly reading: TimeReading }
  /** A 5xx for this file only (gone since the LIST, unreadable, odd name): its LIST date is all there is. */
  | { readonly kind: 'refused' }
  /** 500/502: the server has no MDTM, whatever its FEAT said. */
  | { readonly kind: 'unsupported' };

/**
 * How long after a size and LIST date are first seen MDTM keeps being asked. A same-size rewrite
 * that keeps the LIST minute must land within the minute of the first mtime, which ended at most
 * 60 s (server time) after the line was first seen; one MDTM later than that has seen any such
 * rewrite, so the answer can be kept. 5 s of margin for clock rates and slow replies.
 */
export const SETTLE_MS = 65_000;

interface Known {
  readonly size: number;
  /** The LIST date text last seen (undefined when the time came from an MLSD fact). */
  readonly listRaw: string | undefined;
  /** The finest reading of the current mtime so far. */
  readonly reading: TimeReading;
  /** What `list()` gave for this file; kept while new readings can be the same instant. */
  readonly mtimeMs: number;
  /** When this size and LIST date were first seen (monotonic ms). */
  readonly since: number;
  /** MDTM is not asked again while the size and LIST date stay as they are. */
  readonly settled: boolean;
}

/**
 * The mtime an FTP source gives each file, stable across reconnects and listing commands (a
 * file's identity is path + size + mtime, so an mtime that changes with the command that answered
 * makes a phantom new version). Per path it keeps the finest reading so far and the value already
 * given out: a new reading with the same size that can be the same instant (a LIST minute holding
 * the MDTM millisecond, a year-form LIST date holding the earlier minute) keeps that value; one
 * that cannot (another size, another instant) is a new version. LIST entries cost one MDTM round
 * trip per new file or changed line, and again on each listing only until `SETTLE_MS` has passed.
 */
export class ListingTimes {
  private readonly known = new Map<string, Known>();

  constructor(private readonly clock: Clock) {}

  /** A file whose listing carried a precise time (MLSD's `modify` fact). */
  fromFacts(path: string, size: number, ms: number): number {
    // basic-ftp hands the fact over as a Date, so its digits are lost: whole seconds read as seconds.
    const reading = { ms, precisionMs: ms % 1000 === 0 ? 1000 : 1 };
    return this.record(path, size, undefined, reading, this.clock.monotonic(), true);
  }

  /**
   * A file from a LIST line. `mdtm` asks the server (absent when MDTM is off or unsupported); its
   * transient failures reject, so that no listing falls back to the coarser LIST date for a file
   * whose exact time is to be had.
   */
  async fromList(path: string, size: number, listRaw: string, mdtm?: () => Promise<MdtmAnswer>): Promise<number> {
    const before = this.known.get(path);
    const sameLine = before !== undefined && before.size === size && before.listRaw === listRaw;
    if (sameLine && before.settled) return before.mtimeMs;
    const since = sameLine ? before.since : this.clock.monotonic();
    const answer = mdtm === undefined ? undefined : await mdtm();
    if (answer?.kind === 'time') {
      return this.record(path, size, listRaw, answer.reading, since, this.clock.monotonic() - since >= SETTLE_MS);
    }
    return this.record(path, size, listRaw, readListDate(listRaw, this.clock.now()), since, true);
  }

  /** Drops what is known of paths a complete listing no longer showed. */
  keepOnly(paths: ReadonlySet<string>): void {
    for (const path of this.known.keys()) if (!paths.has(path)) this.known.delete(path);
  }

  private record(path: string, size: number, listRaw: string | undefined, reading: TimeReading, since: number, settled: boolean): number {
    const before = this.known.get(path);
    const same = before !== undefined && before.size === size && sameInstant(before.reading, reading);
    const mtimeMs = same ? before.mtimeMs : reading.ms;
    const finest = same && before.reading.precisionMs < reading.precisionMs ? before.reading : reading;
    this.known.set(path, { size, listRaw, reading: finest, mtimeMs, since, settled });
    return mtimeMs;
  }
}
