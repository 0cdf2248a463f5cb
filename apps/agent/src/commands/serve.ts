import type { Config } from '@filesync/core/config';
import type { CliIo } from '../cli-io';
import { loadConfigFile } from '../config-file';
import { type AgentStatus, startAgent } from '../agent';
import { createLogger } from '../logging';
import { createAgentMetrics } from '../metrics/agent-metrics';
import { startStatusServer } from '../status-server';
import { startStatusFeed } from '../status/start-status-feed';
import { statusAccess, statusToken } from '../status-access';
import { removeStatusUrl, writeStatusUrl } from '../status-url-file';

/** How long a stop may take before the process exits anyway (each loop stops at a chunk boundary). */
const STOP_BOUND_MS = 10_000;

export interface RunOptions {
  /** Stop after this long (the demo's headless mode); otherwise run until a signal. */
  readonly durationMs?: number;
  /** Called every `tickMs` with the live status (the demo prints progress). */
  readonly onTick?: (status: AgentStatus) => void;
  readonly tickMs?: number;
}

/**
 * Ends the process whatever its threads are doing. `process.exit` does not: it tears the worker
 * threads down and waits for their pending file-system requests, and one stuck in the kernel (an
 * open that never returns) keeps the process alive for ever after it said "exiting". SIGKILL to
 * itself cannot be held up; the service manager sees a killed process and restarts it.
 */
function exitNow(): never {
  process.kill(process.pid, 'SIGKILL');
  // Not reached: the signal ends the process before kill returns to JavaScript's next statement.
  throw new Error('SIGKILL did not end the process');
}

/** Runs the agent until SIGTERM/SIGINT (or `durationMs`), then stops it cleanly. Resolves with the exit code. */
export async function runAgent(config: Config, label: string, io: CliIo, options: RunOptions = {}): Promise<number> {
  // Before anything starts: a token that cannot be had is a config error, not a status server left open.
  const access = config.status === false ? undefined : statusAccess(statusToken(config.status, label));
  const log = await createLogger(config);
  const agent = await startAgent(config, log);
  if (agent.repair) io.err(`filesync: the catalog was damaged (${agent.repair.reason}); it was repaired (${agent.repair.action}) and the sources will be re-scanned`);
  const metrics = createAgentMetrics({
    totals: () => (agent.catalog.isOpen ? agent.catalog.totals() : undefined),
    status: () => agent.status(),
    roundTrips: () => agent.linkRoundTrips(),
    stagingDir: config.staging.dir ?? `${config.dataDir}/staging`,
  });
  const status = config.status === false || !access ? undefined : await startStatusServer(() => agent.status(), config.status.host, config.status.port, access, startStatusFeed(config, agent), metrics);
  // Only `filesync status` reads it: a full disk must not keep the agent from running.
  if (status) await writeStatusUrl(config.dataDir, status.url).catch(() => undefined);
  // The handlers go in before the "serving" line: whoever waits for that line may stop the agent at
  // once, and a SIGTERM in between would find no handler and end the process without a clean stop.
  const stopRequested = new Promise<string>((resolve) => {
    for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => resolve(s));
    if (options.durationMs !== undefined) setTimeout(() => resolve('time up'), options.durationMs).unref();
    void agent.gaveUp.then((why) => resolve(`gave up: ${why}`));
  });
  io.out(`filesync: serving ${label}${status ? `; status at ${status.url}` : ''}`);
  if (config.log.file !== undefined && config.log.file !== '-') io.out(`filesync: log in ${config.log.file}`);
  const ticker = options.onTick ? setInterval(() => options.onTick?.(agent.status()), options.tickMs ?? 2000) : undefined;
  const reason = await stopRequested;
  if (ticker) clearInterval(ticker);
  log.info({ reason }, 'stopping');
  const bound = setTimeout(() => {
    io.err(`filesync: stop took longer than ${STOP_BOUND_MS} ms; exiting`);
    exitNow();
  }, STOP_BOUND_MS);
  bound.unref();
  await status?.close();
  await removeStatusUrl(config.dataDir).catch(() => undefined);
  await agent.stop();
  options.onTick?.(agent.status());
  // The file is written asynchronously from this thread: what is still buffered reaches it before the exit.
  await new Promise<void>((resolve) => log.flush(() => resolve()));
  clearTimeout(bound);
  if (reason.startsWith('gave up')) {
    io.err(`filesync: ${reason}; exiting so that the service manager restarts the agent`);
    return 1;
  }
  return 0;
}

/** `filesync serve`: the agent on a config file. */
export async function serve(configOption: string | undefined, io: CliIo): Promise<number> {
  const { file, config } = loadConfigFile(configOption);
  return runAgent(config, file, io);
}
