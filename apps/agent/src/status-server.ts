import { lookup } from 'node:dns/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { AgentStatus } from './agent';
import type { StatusAccess } from './status-access';
import type { AgentMetrics } from './metrics/agent-metrics';
import type { StatusFeed } from './status/status-feed';

/**
 * The status API (`GET /api/status`, and the routes of `status/status-api.ts` over `feed`), the page
 * (`page/serve-page.ts`) and, with `metrics`, `GET /metrics` (Prometheus text format). Listens on
 * loopback by default; `access` decides who may use any of them. `url` is the address really bound
 * (a host of 0.0.0.0 says so).
 *
 * The sockets are plain `node:http`; fastify and the routes (`status/status-app.ts`) are loaded at
 * the first request, which waits for them. Loading fastify cost about 0.15 s of CPU at every start
 * of the agent, before its "serving" line, and an agent on a drone may run for ever with nobody
 * looking at its status.
 */
export async function startStatusServer(
  status: () => AgentStatus,
  host: string,
  port: number,
  access: StatusAccess,
  feed: StatusFeed,
  metrics?: AgentMetrics,
): Promise<{ url: string; close(): Promise<void> }> {
  let app: Promise<FastifyInstance> | undefined;
  let closing = false;
  /** An answer given without the app (closing, or it failed to load): still only to whom `access` lets in. */
  const answer = (req: IncomingMessage, res: ServerResponse, code: number, error: string): void => {
    const url = req.url ?? '';
    const refused = access.refuse(req.headers, url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    res.writeHead(refused?.status ?? code, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: refused?.reason ?? error }));
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (closing && app === undefined) {
      answer(req, res, 503, 'the status server is closing');
      return;
    }
    app ??= import('./status/status-app').then((m) => m.buildStatusApp(status, access, feed, metrics));
    app.then(
      (ready) => ready.routing(req, res),
      (err: unknown) => answer(req, res, 500, `the status server could not load: ${String(err)}`),
    );
  };
  feed.start();
  let servers: Server[];
  try {
    servers = await listen(handle, host, port);
  } catch (err) {
    feed.stop();
    throw err;
  }
  const bound = servers[0]?.address() as AddressInfo;
  const name = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${name}:${bound.port}`,
    async close() {
      closing = true;
      // Open event streams would hold the close up for ever: the app's preClose (or, never loaded, this) stops the feed, which ends them.
      const loaded = await app?.catch(() => undefined);
      if (loaded) await loaded.close();
      else feed.stop();
      // Then the sockets: `close` ends the idle keep-alive connections (the ended streams' among them) and waits for the rest.
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

/**
 * Listens on `host`; for `localhost` also on its other addresses (127.0.0.1 and ::1) at the same
 * port, as fastify's `listen` did: a client resolving `localhost` to either reaches the server. The
 * first server is the one `url` names; a second address that cannot be bound is left out.
 */
async function listen(handle: (req: IncomingMessage, res: ServerResponse) => void, host: string, port: number): Promise<Server[]> {
  const open = async (address: string, at: number): Promise<Server> => {
    const server = createServer(handle);
    // fastify's server settings, kept: an event stream is one long response, and a page left open re-asks every few seconds.
    server.keepAliveTimeout = 72_000;
    server.requestTimeout = 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port: at }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server;
  };
  const first = await open(host, port);
  if (host !== 'localhost') return [first];
  const { address: primary, port: bound } = first.address() as AddressInfo;
  const others = (await lookup(host, { all: true }).catch(() => [])).filter((a) => a.address !== primary);
  const more = await Promise.all(others.map((a) => open(a.address, bound).catch(() => undefined)));
  return [first, ...more.filter((s): s is Server => s !== undefined)];
}
