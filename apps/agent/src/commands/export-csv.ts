import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { CliIo } from '../cli-io';
import { loadConfigFile } from '../config-file';
import { withCatalog } from './catalog-access';

/** `filesync export --csv [-o FILE]`: one row per file × target, to stdout or a file. */
export function exportCsv(configOption: string | undefined, output: string | undefined, io: CliIo): Promise<number> {
  return withCatalog(loadConfigFile(configOption).config, async (catalog) => {
    if (output === undefined) {
      io.out(catalog.exportCsv().trimEnd());
      return 0;
    }
    const out = createWriteStream(output);
    await catalog.exportCsv(out);
    out.end();
    await finished(out);
    io.err(`wrote ${output}`);
    return 0;
  });
}
