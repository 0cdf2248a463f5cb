import { type Source, classifyError } from '@filesync/core';
import type { FileRecord } from '@filesync/store';
import type { CatalogPort, PipelineLogger } from './ports';
import { silentLogger } from './ports';
import { ThrottledLog } from './throttled-log';
import { checkVersion } from './source-version';

/**
 * Under `move`, removes delivered files from their source — only files every routed target has
 * uploaded and verified (not merely skipped), only sources that can remove, and only when the file
 * now at the path is the very version delivered (identity before delete, see `checkVersion` and
 * docs/identity.md). Anything else there is a new version: it is kept, and recorded to be copied — by the
 * finder when its size or mtime differ, here when only the fingerprint or device checksum tells.
 */
export class SourceCleaner {
  /**
   * A refused remove is tried, and a kept file checked, at every sweep: each is said once per file and
   * interval, not every time.
   */
  private readonly warnings: ThrottledLog;

  constructor(
    private readonly source: Source,
    private readonly catalog: CatalogPort,
    /** Whether this file's routes ask for it to be moved (every route that took it says `move`). */
    private readonly isMoved: (file: FileRecord) => boolean,
    private readonly log: PipelineLogger = silentLogger,
    warnings?: ThrottledLog,
  ) {
    this.warnings = warnings ?? new ThrottledLog(log);
  }

  async sweep(): Promise<{ removed: number; errors: number; kept: number }> {
    let removed = 0;
    let errors = 0;
    let kept = 0;
    if (!this.source.remove) return { removed, errors, kept };
    for (const file of await this.catalog.listFiles({ sourceId: this.source.id, state: 'delivered' })) {
      if (!this.isMoved(file)) continue;
      const targets = await this.catalog.targetsOf(file.fileId);
      // A target that skipped the file (a different file held its name, policy `skip`) does not have
      // it: the source keeps its copy, or the file would exist nowhere under its own content.
      if (!targets.every((t) => t.state === 'uploaded')) continue;
      try {
        const check = await checkVersion(this.source, file, { checksum: true });
        if (check.kind === 'changed' || check.kind === 'unprovable') {
          kept++;
          // A rewrite with the same size and mtime has this row's key, so no listing records it: record it here.
          if (check.kind === 'changed' && check.proof !== undefined) await this.recordRewritten(file, check.proof, check.reason);
          this.reportKept(file, check.kind === 'changed' ? `another version is there now: ${check.reason}` : check.reason);
          continue;
        }
        if (check.kind === 'same') await this.source.remove(file.path);
      } catch (err) {
        const error = classifyError(err);
        // Already gone from the source (e.g. removed just before a crash): the removal is done.
        if (error.code !== 'not-found') {
          errors++;
          this.warnings.warn(`refused:${file.fileId}`, { source: this.source.id, path: file.path, code: error.code }, `could not remove from source: ${error.message}`);
          continue;
        }
      }
      this.warnings.clear(`refused:${file.fileId}`);
      this.warnings.clear(`kept:${file.fileId}`);
      await this.catalog.transitionFile(file.fileId, 'removed', { reason: 'moved: every target has it' });
      this.log.info({ source: this.source.id, path: file.path }, 'removed from source');
      removed++;
    }
    return { removed, errors, kept };
  }

  private async recordRewritten(file: FileRecord, proof: string, reason: string): Promise<void> {
    const { fileId, isNew } = await this.catalog.recordRewrittenInPlace(file.fileId, proof, reason);
    if (isNew) this.log.info({ source: this.source.id, path: file.path, fileId, versionOf: file.fileId }, `new version (rewritten in place): ${reason}`);
  }

  private reportKept(file: FileRecord, why: string): void {
    this.warnings.warn(`kept:${file.fileId}`, { source: this.source.id, path: file.path, fileId: file.fileId }, `kept on the source, not removed: ${why}`);
  }
}
