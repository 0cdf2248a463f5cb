import type { Catalog, FileRecord } from '@filesync/store';

export interface RetryResult {
  readonly files: number;
  readonly targets: number;
}

/** Files that failed themselves, or whose copy failed on a target (the file then stays staged). */
export function failedFiles(catalog: Catalog): FileRecord[] {
  const onTargets = catalog.listFiles({ state: 'staged' }).filter((f) => catalog.targetsOf(f.fileId).some((t) => t.state === 'failed'));
  return [...catalog.listFiles({ state: 'failed' }), ...onTargets];
}

/**
 * Puts failed files back in the queue: a failed file goes to `found` (downloaded again from byte 0,
 * attempts counted afresh), a failed target row to `pending`. `only` limits it to some file ids;
 * `files: false` re-queues only the uploads.
 */
export function retryFailed(catalog: Catalog, reason: string, only?: ReadonlySet<string>, what: { files: boolean } = { files: true }): RetryResult {
  let files = 0;
  let targets = 0;
  for (const file of failedFiles(catalog)) {
    if (only && !only.has(file.fileId)) continue;
    if (file.state === 'failed' && what.files) {
      catalog.transitionFile(file.fileId, 'found', { attempts: 0, downloadOffset: 0, reason });
      files++;
    }
    for (const row of catalog.targetsOf(file.fileId)) {
      if (row.state !== 'failed') continue;
      catalog.transitionTarget(file.fileId, row.targetId, 'pending', { attempts: 0, offset: 0, reason });
      targets++;
    }
  }
  return { files, targets };
}
