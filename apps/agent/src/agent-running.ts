import type { Config } from '@filesync/core/config';
import { statusToken } from './status-access';
import { readStatusUrl } from './status-url-file';

/** An agent that does not answer its own status server within this is taken as not running. */
const ASK_MS = 1500;

export interface Running {
  readonly running: boolean | null;
  readonly url: string | null;
  readonly why: string;
  /** The running agent's `/api/status` answer. */
  readonly status?: unknown;
}

/** Whether the agent of this config runs: it answers at the address it wrote when it started serving. */
export async function agentRunning(config: Config, file: string): Promise<Running> {
  if (config.status === false) return { running: null, url: null, why: 'unknown: its status server is off in the config (status: false)' };
  const url = readStatusUrl(config.dataDir);
  if (url === undefined) return { running: false, url: null, why: 'not running (it has not served since its last clean stop)' };
  const token = statusToken(config.status, file);
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  try {
    const res = await fetch(`${url}/api/status`, { headers, signal: AbortSignal.timeout(ASK_MS) });
    if (res.ok) return { running: true, url, why: `running, status at ${url}`, status: await res.json() };
    return { running: false, url, why: `not running (${url} answers ${res.status})` };
  } catch {
    return { running: false, url, why: `not running (no answer at ${url}; it was stopped without a clean stop, or is starting)` };
  }
}
