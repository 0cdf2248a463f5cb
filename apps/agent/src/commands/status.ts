import type { Config } from '@filesync/core';
import type { CliIo } from '../cli-io';
import { loadConfigFile } from '../config-file';
import { statusToken } from '../status-access';
import { readStatusUrl } from '../status-url-file';
import { withCatalog } from './catalog-access';

/** An agent that does not answer its own status server within this is taken as not running. */
const ASK_MS = 1500;

const nonZero = (counts: Readonly<Record<string, number>>): string =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ') || 'none';

type Running = { readonly running: boolean | null; readonly url: string | null; readonly why: string };

/** Whether the agent of this config runs: it answers at the address it wrote when it started serving. */
async function agentRunning(config: Config, file: string): Promise<Running> {
  if (config.status === false) return { running: null, url: null, why: 'unknown: its status server is off in the config (status: false)' };
  const url = readStatusUrl(config.dataDir);
  if (url === undefined) return { running: false, url: null, why: 'not running (it has not served since its last clean stop)' };
  const token = statusToken(config.status, file);
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  try {
    const res = await fetch(`${url}/api/status`, { headers, signal: AbortSignal.timeout(ASK_MS) });
    if (res.ok) return { running: true, url, why: `running, status at ${url}` };
    return { running: false, url, why: `not running (${url} answers ${res.status})` };
  } catch {
    return { running: false, url, why: `not running (no answer at ${url}; it was stopped without a clean stop, or is starting)` };
  }
}

/** `filesync status`: whether the agent runs, then counts per state, per source and per target, read from the live catalog. */
export async function status(configOption: string | undefined, json: boolean, io: CliIo): Promise<number> {
  const { file, config } = loadConfigFile(configOption);
  const agent = await agentRunning(config, file);
  return withCatalog(config, (catalog) => {
    const counts = catalog.counts();
    const lastRepair = catalog.lastRepair();
    if (json) {
      io.out(JSON.stringify({ agent: { running: agent.running, url: agent.url }, ...counts, lastRepair: lastRepair ?? null }));
      return 0;
    }
    io.out(`agent: ${agent.why}`);
    io.out(`files: ${nonZero(counts.files)}`);
    for (const [source, c] of Object.entries(counts.bySource)) io.out(`source ${source}: ${nonZero(c)}`);
    for (const [target, c] of Object.entries(counts.byTarget)) io.out(`target ${target}: ${nonZero(c)}`);
    if (lastRepair) io.out(`catalog repaired at ${new Date(lastRepair.at).toISOString()}: ${lastRepair.reason} (${lastRepair.action})`);
    return 0;
  });
}
