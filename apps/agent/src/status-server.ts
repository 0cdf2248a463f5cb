import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { AgentStatus } from './agent';
import type { StatusAccess } from './status-access';
import type { AgentMetrics } from './metrics/agent-metrics';
import { registerStatusPage } from './page/serve-page';
import { schemaFreeFastify } from './status/schema-free-fastify';
import { registerStatusApi } from './status/status-api';
import type { StatusFeed } from './status/status-feed';

/**
 * The status API (`GET /api/status`, and the routes of `status/status-api.ts` over `feed`), the page
 * (`page/serve-page.ts`) and, with `metrics`, `GET /metrics` (Prometheus text format). Listens on
 * loopback by default; `access` decides who may use any of them. `url` is the address really bound
 * (a host of 0.0.0.0 says so).
 */
export async function startStatusServer(
  status: () => AgentStatus,
  host: string,
  port: number,
  access: StatusAccess,
  feed: StatusFeed,
  metrics?: AgentMetrics,
): Promise<{ url: string; close(): Promise<void> }> {
  const app: FastifyInstance = schemaFreeFastify();
  app.addHook('onRequest', async (req, reply) => {
    const refused = access.refuse(req.headers, req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
    if (refused) await reply.code(refused.status).send({ error: refused.reason });
  });
  app.get('/api/status', async () => status());
  if (metrics) app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.render()));
  registerStatusApi(app, feed);
  registerStatusPage(app, feed);
  // Open event streams would hold the close up for ever: the feed ends them first.
  app.addHook('preClose', async () => feed.stop());
  feed.start();
  await app.listen({ host, port }).catch((err: unknown) => {
    feed.stop();
    throw err;
  });
  const bound = app.server.address() as AddressInfo;
  const name = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return { url: `http://${name}:${bound.port}`, close: () => app.close() };
}
