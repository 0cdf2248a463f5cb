import { ConfigError, loadConfig } from '@filesync/core';
import { type CliIo, EXIT_BAD_INPUT } from '../cli-io';

/** `filesync check-config FILE`: one line per wrong field (path: reason), exit 2; or a summary, exit 0. */
export function checkConfig(file: string, io: CliIo): number {
  try {
    const config = loadConfig(file);
    io.out(
      `${file}: ok (${config.sources.length} source${config.sources.length === 1 ? '' : 's'}, ` +
        `${config.targets.length} target${config.targets.length === 1 ? '' : 's'}, ` +
        `${config.routes.length} route${config.routes.length === 1 ? '' : 's'})`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) io.err(`${file}: ${problem.path}: ${problem.message}`);
    return EXIT_BAD_INPUT;
  }
}
