import type { CliIo } from '../cli-io';
import { loadConfigFile } from '../config-file';
import { startAgent } from '../agent';
import { createLogger } from '../logging';
import { startStatusServer } from '../status-server';

/** How long a stop may take before the process exits anyway (each loop stops at a chunk boundary). */
const STOP_BOUND_MS = 10_000;

/**
 * `filesync serve`: runs until SIGTERM/SIGINT, then stops the loops, backs the catalog up and exits 0.
 * Resolves with the exit code.
 */
export async function serve(configOption: string | undefined, io: CliIo, signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): Promise<number> {
  const { file, config } = loadConfigFile(configOption);
  const log = createLogger(config);
  const agent = startAgent(config, log);
  if (agent.repair) io.err(`filesync: the catalog was damaged (${agent.repair.reason}); it was repaired (${agent.repair.action}) and the sources will be re-scanned`);
  const status = config.status === false ? undefined : await startStatusServer(() => agent.status(), config.status.host, config.status.port);
  io.out(`filesync: serving ${file}${status ? `; status at ${status.url}` : ''}`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const s of signals) process.once(s, () => resolve(s));
  });
  log.info({ signal }, 'stopping');
  const bound = setTimeout(() => {
    io.err(`filesync: stop took longer than ${STOP_BOUND_MS} ms; exiting`);
    process.exit(1);
  }, STOP_BOUND_MS);
  bound.unref();
  await status?.close();
  await agent.stop();
  clearTimeout(bound);
  log.flush?.();
  return 0;
}
