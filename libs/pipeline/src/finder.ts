import {
  type Clock,
  type RouteConfig,
  type Source,
  type SourceEntry,
  compileFilter,
  fileId,
  systemClock,
} from '@filesync/core';
import type { CatalogPort, PipelineLogger } from './ports';
import { silentLogger } from './ports';

export interface ScanResult {
  readonly listed: number;
  readonly recorded: number;
  readonly reappeared: number;
  readonly vanished: number;
}

/** States of a file the finder may still call vanished: not yet staged, so only the source has it. */
const UNSTAGED = ['found', 'downloading'] as const;

/**
 * Lists one source and records what the routes want of it. A file whose size or mtime changed is a new
 * version (a new identity); one that is gone before it was staged becomes `vanished`. Only a listing
 * that succeeded can make a file vanish: an unplugged drive throws instead of listing nothing.
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
    for await (const entry of this.source.list()) {
      listed++;
      listedSize.set(entry.path, entry.size);
      const targets = [...new Set(this.routes.filter((r) => r.accepts(entry, now)).flatMap((r) => r.targets))];
      if (targets.length === 0) continue;
      const identity = { sourceId: this.source.id, path: entry.path, size: entry.size, mtimeMs: entry.mtimeMs };
      seen.add(fileId(identity));
      const { fileId: id, isNew } = await this.catalog.recordFound(identity, targets);
      if (isNew) {
        recorded++;
        continue;
      }
      const known = await this.catalog.getFile(id);
      if (known?.state === 'vanished') {
        await this.catalog.transitionFile(id, 'found', { reason: 'seen on the source again' });
        reappeared++;
      }
    }
    let vanished = 0;
    for (const state of UNSTAGED) {
      for (const file of await this.catalog.listFiles({ sourceId: this.source.id, state })) {
        if (seen.has(file.fileId)) continue;
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
    return { listed, recorded, reappeared, vanished };
  }
}
