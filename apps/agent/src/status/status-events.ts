import type { FastifyReply } from 'fastify';
import type { Overview } from './overview';
import type { StatusFeed } from './status-feed';

/**
 * `GET /api/events`: server-sent events. The current overview at once, then one per tick and one
 * after each action (`event: overview`). A browser's EventSource reconnects by itself after `retry`.
 */
export function openEventStream(reply: FastifyReply, feed: StatusFeed): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // A proxy in front (nginx) would otherwise hold the stream back in its buffer.
    'x-accel-buffering': 'no',
  });
  const send = (overview: Overview): void => {
    res.write(`event: overview\ndata: ${JSON.stringify(overview)}\n\n`);
  };
  res.write('retry: 2000\n\n');
  send(feed.current());
  // The feed ends the stream when it stops (the server closing), which would otherwise wait on it for ever.
  const unsubscribe = feed.subscribe(send, () => res.end());
  // The response's close: the client went away (or the stream was ended), never merely the request read.
  res.once('close', () => {
    unsubscribe();
    res.end();
  });
}
