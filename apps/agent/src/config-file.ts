import { fileURLToPath } from 'node:url';
import { type Config, loadConfig } from '@filesync/core';

/** The embedded default: the agent against the simulators, so a new user needs no config. */
export const DEFAULT_CONFIG_FILE = fileURLToPath(new URL('../config/default.json', import.meta.url));

/**
 * Which config a command uses: `--config FILE`, else $FILESYNC_CONFIG, else the embedded default.
 * `status` and `ls` pick the same one as `serve`, so they read the catalog the agent writes.
 */
export function configFileFrom(option: string | undefined): string {
  return option ?? process.env['FILESYNC_CONFIG'] ?? DEFAULT_CONFIG_FILE;
}

export function loadConfigFile(option: string | undefined): { file: string; config: Config } {
  const file = configFileFrom(option);
  return { file, config: loadConfig(file) };
}
