import type { FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { retryFailed } from '../retry';
import { checkInput, deliveriesQuery, fileActionParams, fileIdParams, filesQuery, routeActionParams } from './api-input';
import { type StatusFeed, configIdOf } from './status-feed';
import { openEventStream } from './status-events';

/**
 * The status API beside `GET /api/status`:
 *
 *     GET  /api/overview                   devices, routes, transfers (rate, ETA), throughput, tree
 *     GET  /api/events                     the overview as server-sent events, one per tick
 *     GET  /api/files?state&q&offset&limit files, newest change first (state `problems`: failed anywhere)
 *     GET  /api/files/:fileId              one file with its targets, receipts and target paths
 *     GET  /api/deliveries?q&offset&limit  confirmed copies with their receipts, newest first
 *     POST /api/files/:fileId/retry        a failed file (or its failed uploads) back in the queue
 *     POST /api/failed/retry               every failed file and upload back in the queue
 *     POST /api/routes/:routeId/pause      the route starts no new download until resumed
 *     POST /api/routes/:routeId/resume
 */
export function registerStatusApi(app: FastifyInstance, feed: StatusFeed): void {
  const { catalog } = feed;
  const refuse = (reply: FastifyReply, status: 400 | 404 | 409, reason: string): FastifyReply => reply.code(status).send({ error: reason });
  const input = <T>(schema: z.ZodType<T>, value: unknown, reply: FastifyReply): T | undefined => {
    const checked = checkInput(schema, value);
    if (checked.ok) return checked.value;
    void refuse(reply, 400, checked.reason);
    return undefined;
  };

  app.get('/api/overview', async () => feed.current());
  app.get('/api/events', (_req, reply) => openEventStream(reply, feed));

  app.get('/api/files', async (req, reply) => {
    const q = input(filesQuery, req.query, reply);
    if (!q) return reply;
    return feed.filesPage({ ...(q.state ? { state: q.state } : {}), text: q.q, offset: q.offset, limit: q.limit });
  });

  app.get('/api/files/:fileId', async (req, reply) => {
    const p = input(fileIdParams, req.params, reply);
    if (!p) return reply;
    const file = catalog.getFile(p.fileId);
    return file ? feed.fileView(file) : refuse(reply, 404, `no file ${p.fileId} in the catalog`);
  });

  app.get('/api/deliveries', async (req, reply) => {
    const q = input(deliveriesQuery, req.query, reply);
    if (!q) return reply;
    return feed.deliveriesPage({ text: q.q, offset: q.offset, limit: q.limit });
  });

  app.post('/api/files/:fileId/:action', async (req, reply) => {
    const p = input(fileActionParams, req.params, reply);
    if (!p) return reply;
    const file = catalog.getFile(p.fileId);
    if (!file) return refuse(reply, 404, `no file ${p.fileId} in the catalog`);
    // The same catalog operation as `filesync retry FILE_ID`.
    const retried = retryFailed(catalog, 'retried from the status page', new Set([p.fileId]));
    if (retried.files + retried.targets === 0) return refuse(reply, 409, `${file.path} has nothing to retry: it is ${file.state} and no upload of it failed`);
    feed.wake({ type: 'signal.found', configId: configIdOf(file) });
    feed.wake({ type: 'signal.staged', configId: configIdOf(file) });
    feed.refresh();
    return { retried, file: feed.fileView(catalog.getFile(p.fileId) ?? file) };
  });

  app.post('/api/failed/retry', async () => {
    const retried = retryFailed(catalog, 'retried from the status page');
    for (const source of new Set(feed.routes.map((r) => r.source))) {
      feed.wake({ type: 'signal.found', configId: source });
      feed.wake({ type: 'signal.staged', configId: source });
    }
    feed.refresh();
    return { retried };
  });

  app.post('/api/routes/:routeId/:action', async (req, reply) => {
    const p = input(routeActionParams, req.params, reply);
    if (!p) return reply;
    const route = feed.routes.find((r) => r.id === p.routeId);
    if (!route) return refuse(reply, 404, `no route ${p.routeId}; the routes are ${feed.routes.map((r) => r.id).join(', ')}`);
    const paused = catalog.setRoutePaused(route.id, p.action === 'pause');
    if (p.action === 'resume') feed.wake({ type: 'signal.found', configId: route.source });
    feed.refresh();
    return { route: { ...route, paused: paused.includes(route.id) } };
  });
}
