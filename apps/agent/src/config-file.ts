import { PermanentError } from '@filesync/core';
import { type Config, loadConfig } from '@filesync/core/config';

/**
 * Which config a command uses: `--config FILE`, else $FILESYNC_CONFIG. There is no silent default:
 * an agent started without one would move files nobody asked it to (and share the demo's data
 * directory), so it stops with how to give one. `status`, `ls` and `retry` pick the same file as
 * `serve`, so they read the catalog the agent writes.
 */
export function configFileFrom(option: string | undefined): string {
  const file = option ?? process.env['FILESYNC_CONFIG'];
  if (file === undefined || file === '') {
    throw new PermanentError(
      'bad-request',
      'no config file: pass --config FILE or set FILESYNC_CONFIG (docs/config.example.json is a template); `npm start` runs the demo against the simulators with no config',
    );
  }
  return file;
}

export function loadConfigFile(option: string | undefined): { file: string; config: Config } {
  const file = configFileFrom(option);
  return { file, config: loadConfig(file) };
}
