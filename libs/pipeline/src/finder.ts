import { type Clock, type ListProblem, type Source, type SourceEntry, compileFilter, problemCovers, systemClock } from '@filesync/core';
import type { RouteConfig } from '@filesync/core/config';
import type { FoundEntry } from '@filesync/store';
import type { CatalogPort, PipelineLogger } from './ports';
import { silentLogger } from './ports';

export interface ScanResult {
  readonly listed: number;
  readonly recorded: number;
  readonly reappeared: number;
  readonly vanished: number;
  /** What the listing had to leave out (unreadable directories, malformed entries, cycles, bounds). */
  readonly problems: readonly ListProblem[];
}

/** A problem list as one line for the log and status: "2 problems: a/b: …; c: …". */
export function describeProblems(problems: readonly ListProblem[], shown = 3): string {
  const head = problems.slice(0, shown).map((p) => `${p.path || '/'}: ${p.reason}`);
  const more = problems.length > shown ? `; and ${problems.length - shown} more` : '';
  return `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${head.join('; ')}${more}`;
}

/** Why an entry cannot be recorded, or undefined: a size or mtime no catalog can hold. */
function malformed(entry: SourceEntry): string | undefined {
  if (!Number.isSafeInteger(entry.size) || entry.size < 0) return `size ${String(entry.size)} is not a non-negative integer: left out`;
  if (!Number.isFinite(entry.mtimeMs)) return `mtime ${String(entry.mtimeMs)} is not a time: left out`;
  return undefined;
}

/**
 * Listed entries recorded per catalog transaction. One transaction (one WAL fsync) per new file made a
 * first scan of 20,000 files 20,000 commits, holding the event loop past the heartbeat timeout (the
 * finder was restarted as hung); a batch is one commit, and the loop is free between batches.
 */
const RECORD_BATCH = 256;

/** States of a file the finder may still call vanished: not yet staged, so only the source has it. */
const UNSTAGED = ['found', 'downloading'] as const;

/**
 * Lists one source and records what the routes want of it. A file whose size or mtime changed is a new
 * version (a new identity), except while it is being downloaded: the downloader's checks own that row.
 * One that is gone before it was staged becomes `vanished`. Only a listing
 * that succeeded can make a file vanish: an unplugged drive throws instead of listing nothing, and a
 * file under a directory the walk could not list (a problem) is "not seen", never vanished.
 */
export class Finder {
  private readonly routes: readonly { targets: readonly string[]; accepts: (e: SourceEntry, now: number) => boolean }[];

  constructor(
    private readonly source: Source,
    routes: readonly Pick<RouteConfig, 'targets' | 'filter'>[],
    private readonly catalog: CatalogPort,
    private readonly clock: Clock = systemClock,
    private readonly log: PipelineLogger = silentLogger,
  ) {
    this.routes = routes.map((r) => ({ targets: r.targets, accepts: compileFilter(r.filter) }));
  }

  async scan(): Promise<ScanResult> {
    const now = this.clock.now();
    const seen = new Set<string>();
    /** Size of each path this listing showed, to tell a superseded version from a vanished file. */
    const listedSize = new Map<string, number>();
    let listed = 0;
    let recorded = 0;
    let reappeared = 0;
    const problems: ListProblem[] = [];
    const onProblem = (problem: ListProblem): void => void problems.push(problem);
    let batch: FoundEntry[] = [];
    /** Records a batch in one transaction, then yields to the event loop (heartbeats, messages). */
    const flush = async (): Promise<void> => {
      const entries = batch;
      batch = [];
      if (entries.length === 0) return;
      const results = await this.catalog.recordFoundBatch(entries);
      for (const [i, found] of results.entries()) {
        // One entry the catalog refuses (a name it cannot hold) is that entry's problem, not the walk's.
        if ('error' in found) {
          onProblem({ path: entries[i]!.identity.path, scope: 'entry', reason: found.error.message });
          continue;
        }
        const { fileId: id, isNew } = found;
        // The row that answers for this entry: usually fileId(identity), a version rewritten in place otherwise.
        seen.add(id);
        if (isNew) recorded++;
        else if (found.vanished) {
          await this.catalog.transitionFile(id, 'found', { reason: 'seen on the source again' });
          reappeared++;
        }
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    };
    for await (const entry of this.source.list({ onProblem })) {
      listed++;
      const bad = malformed(entry);
      if (bad !== undefined) {
        onProblem({ path: entry.path, scope: 'entry', reason: bad });
        continue;
      }
      listedSize.set(entry.path, entry.size);
      const targets = [...new Set(this.routes.filter((r) => r.accepts(entry, now)).flatMap((r) => r.targets))];
      if (targets.length === 0) continue;
      batch.push({ identity: { sourceId: this.source.id, path: entry.path, size: entry.size, mtimeMs: entry.mtimeMs }, targets });
      if (batch.length >= RECORD_BATCH) await flush();
    }
    await flush();
    let vanished = 0;
    for (const state of UNSTAGED) {
      for (const file of await this.catalog.listFiles({ sourceId: this.source.id, state })) {
        if (seen.has(file.fileId) || problems.some((p) => problemCovers(p, file.path))) continue;
        const now = listedSize.get(file.path);
        if (now !== undefined) {
          // Still there with another size or mtime (a file being written): the new version is recorded above.
          await this.catalog.transitionFile(file.fileId, 'vanished', { reason: `superseded: changed on the source (now ${now} bytes) before it was staged` });
          this.log.debug({ source: this.source.id, path: file.path, fileId: file.fileId, size: now }, 'file changed before it was staged');
        } else {
          await this.catalog.transitionFile(file.fileId, 'vanished', { reason: 'gone from the source before it was staged' });
          this.log.warn({ source: this.source.id, path: file.path, fileId: file.fileId }, 'file vanished before it was staged');
        }
        vanished++;
      }
    }
    return { listed, recorded, reappeared, vanished, problems };
  }
}
