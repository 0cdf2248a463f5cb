import type { FileRecord } from '@filesync/store';

/**
 * A version found less than `settleMs` ago is settling: it may still be written (a log, a video), so
 * it is not downloaded yet. A file that keeps growing shows as one settling row at its latest size
 * (the catalog moves the unstarted row to each new version). The downloader and `filesync ls` share this rule.
 */
export function isSettling(file: Pick<FileRecord, 'state' | 'foundAt'>, settleMs: number, nowMs: number): boolean {
  return file.state === 'found' && nowMs - file.foundAt < settleMs;
}
