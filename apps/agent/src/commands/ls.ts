import { FILE_STATES, type FileState, PermanentError, configIdOfSource } from '@filesync/core';
import { isSettling } from '@filesync/pipeline';
import type { CliIo } from '../cli-io';
import { failedFiles } from '../retry';
import { loadConfigFile } from '../config-file';
import { withCatalog } from './catalog-access';

export function parseState(value: string | undefined): FileState | undefined {
  if (value === undefined) return undefined;
  if ((FILE_STATES as readonly string[]).includes(value)) return value as FileState;
  throw new PermanentError('bad-request', `--state must be one of ${FILE_STATES.join(', ')}; got "${value}"`);
}

/** `filesync ls`: one line per file (or one JSON object per line), with its progress and per-target states. */
export function ls(configOption: string | undefined, options: { state?: string; json: boolean }, io: CliIo): Promise<number> {
  const state = parseState(options.state);
  const { config } = loadConfigFile(configOption);
  const settleMs = new Map(config.sources.map((s) => [s.id, s.settleSec * 1000]));
  const now = Date.now();
  return withCatalog(config, (catalog) => {
    // "failed" also lists files whose copy failed on a target (the file itself stays staged).
    const files = state === 'failed' ? failedFiles(catalog) : catalog.listFiles(state === undefined ? {} : { state });
    for (const file of files) {
      const targets = catalog.targetsOf(file.fileId);
      // Found but maybe still being written: not downloaded until it has settled (docs/identity.md).
      const settling = isSettling(file, settleMs.get(configIdOfSource(file.sourceId)) ?? 0, now);
      if (options.json) {
        io.out(JSON.stringify({ ...file, settling, targets }));
        continue;
      }
      const progress = file.state === 'downloading' ? ` ${file.downloadOffset}/${file.size}` : ` ${file.size}`;
      const where = targets.map((t) => `${t.targetId}:${t.state}${t.state === 'uploading' ? `@${t.offset}` : ''}`).join(' ');
      io.out(`${(settling ? 'settling' : file.state).padEnd(11)} ${file.sourceId}:${file.path}${progress} ${where}${file.reason ? ` (${file.reason})` : ''}`);
    }
    return 0;
  });
}
