import { ConfigError, loadConfig } from '@filesync/core/config';
import { type CliIo, EXIT_BAD_INPUT } from '../cli-io';
import { checkSecrets } from './check-secrets';

/**
 * `filesync check-config FILE`: one line per wrong field (path: reason), exit 2; or a summary, exit 0.
 * With `secrets`, every password and token file and variable is read too, as the agent would.
 */
export function checkConfig(file: string, io: CliIo, options: { secrets?: boolean } = {}): number {
  try {
    const config = loadConfig(file);
    const secrets = options.secrets === true ? checkSecrets(config) : undefined;
    if (secrets !== undefined && secrets.problems.length > 0) throw new ConfigError(file, secrets.problems);
    io.out(
      `${file}: ok (${config.sources.length} source${config.sources.length === 1 ? '' : 's'}, ` +
        `${config.targets.length} target${config.targets.length === 1 ? '' : 's'}, ` +
        `${config.routes.length} route${config.routes.length === 1 ? '' : 's'}` +
        (secrets === undefined ? ')' : `; ${secrets.checked} secret${secrets.checked === 1 ? '' : 's'} readable)`),
    );
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) io.err(`${file}: ${problem.path}: ${problem.message}`);
    return EXIT_BAD_INPUT;
  }
}
