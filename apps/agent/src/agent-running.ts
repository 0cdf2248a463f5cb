import { get } from 'node:http';
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
    const res = await getJson(`${url}/api/status`, headers);
    if (res.status === 200) return { running: true, url, why: `running, status at ${url}`, status: res.body };
    return { running: false, url, why: `not running (${url} answers ${res.status})` };
  } catch {
    return { running: false, url, why: `not running (no answer at ${url}; it was stopped without a clean stop, or is starting)` };
  }
}

/**
 * One GET with node:http rather than `fetch`: fetch loads undici on first use, which cost every
 * `filesync status` about 50 ms of CPU of its half second, to ask one question of a loopback server.
 */
function getJson(url: string, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status !== 200) return resolve({ status, body: undefined });
        try {
          resolve({ status, body: JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown });
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${ASK_MS} ms`)), ASK_MS);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
  });
}
