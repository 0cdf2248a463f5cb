import { PermanentError } from '@filesync/core';
import type { CliIo } from '../cli-io';
import { retryFailed } from '../retry';
import { loadConfigFile } from '../config-file';
import { withCatalog } from './catalog-access';

/** `filesync retry (--all | FILE_ID…)`: failed files and failed uploads go back in the queue of the running agent. */
export function retry(configOption: string | undefined, options: { all: boolean; ids: readonly string[] }, io: CliIo): Promise<number> {
  if (!options.all && options.ids.length === 0) {
    throw new PermanentError('bad-request', 'name the file ids to retry (see `filesync ls --state failed --json`), or give --all');
  }
  return withCatalog(loadConfigFile(configOption).config, (catalog) => {
    const result = retryFailed(catalog, 'retried by the operator', options.all ? undefined : new Set(options.ids));
    io.out(`queued again: ${result.files} failed file${result.files === 1 ? '' : 's'}, ${result.targets} failed upload${result.targets === 1 ? '' : 's'}`);
    return 0;
  });
}
