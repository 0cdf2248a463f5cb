import { type Source, classifyError } from '@filesync/core';
import type { FileRecord } from '@filesync/store';
import type { CatalogPort, PipelineLogger } from './ports';
import { silentLogger } from './ports';
import { ThrottledLog } from './throttled-log';

/**
 * Under `move`, removes delivered files from their source — only files every routed target has
 * uploaded and verified (not merely skipped), and only sources that can remove.
 */
export class SourceCleaner {
  /** A refused remove is tried at every sweep; it is said once per file and interval, not every time. */
  private readonly refused: ThrottledLog;

  constructor(
    private readonly source: Source,
    private readonly catalog: CatalogPort,
    /** Whether this file's routes ask for it to be moved (every route that took it says `move`). */
    private readonly isMoved: (file: FileRecord) => boolean,
    private readonly log: PipelineLogger = silentLogger,
    refused?: ThrottledLog,
  ) {
    this.refused = refused ?? new ThrottledLog(log);
  }

  async sweep(): Promise<{ removed: number; errors: number }> {
    let removed = 0;
    let errors = 0;
    if (!this.source.remove) return { removed, errors };
    for (const file of await this.catalog.listFiles({ sourceId: this.source.id, state: 'delivered' })) {
      if (!this.isMoved(file)) continue;
      const targets = await this.catalog.targetsOf(file.fileId);
      // A target that skipped the file (a different file held its name, policy `skip`) does not have
      // it: the source keeps its copy, or the file would exist nowhere under its own content.
      if (!targets.every((t) => t.state === 'uploaded')) continue;
      try {
        await this.source.remove(file.path);
      } catch (err) {
        const error = classifyError(err);
        // Already gone from the source (e.g. removed just before a crash): the removal is done.
        if (error.code !== 'not-found') {
          errors++;
          this.refused.warn(file.fileId, { source: this.source.id, path: file.path, code: error.code }, `could not remove from source: ${error.message}`);
          continue;
        }
      }
      this.refused.clear(file.fileId);
      await this.catalog.transitionFile(file.fileId, 'removed', { reason: 'moved: every target has it' });
      this.log.info({ source: this.source.id, path: file.path }, 'removed from source');
      removed++;
    }
    return { removed, errors };
  }
}
