import type { FastifyInstance } from 'fastify';
import type { AgentStatus } from '../agent';
import type { AgentMetrics } from '../metrics/agent-metrics';
import { registerStatusPage } from '../page/serve-page';
import type { StatusAccess } from '../status-access';
import { schemaFreeFastify } from './schema-free-fastify';
import { registerStatusApi } from './status-api';
import type { StatusFeed } from './status-feed';

/**
 * The status server's routes as a fastify app that listens on nothing: `status-server.ts` owns the
 * sockets and hands each request to `app.routing`. `close()` runs the `preClose` hook, which stops
 * the feed and so ends the open event streams.
 */
export async function buildStatusApp(status: () => AgentStatus, access: StatusAccess, feed: StatusFeed, metrics?: AgentMetrics): Promise<FastifyInstance> {
  const app = schemaFreeFastify();
  app.addHook('onRequest', async (req, reply) => {
    const refused = access.refuse(req.headers, req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
    if (refused) await reply.code(refused.status).send({ error: refused.reason });
  });
  app.get('/api/status', async () => status());
  if (metrics) app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.render()));
  registerStatusApi(app, feed);
  registerStatusPage(app, feed);
  app.addHook('preClose', async () => feed.stop());
  await app.ready();
  return app;
}
