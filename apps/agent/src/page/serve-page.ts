import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import * as z from 'zod';
import { FILE_STATES } from '@filesync/core';
import type { StatusFeed } from '../status/status-feed';
import { renderDocument } from './view/document';
import { LIST_SIZES, type PageQuery, type PageState } from './view/page-state';

/** The page's script, built by `tools/build-app.mjs agent` beside the agent (`dist/page/app.js`). */
const BUNDLE = new URL('../../dist/page/app.js', import.meta.url);

// The page's own address is typed by people and old bookmarks: a bad value falls back to its default.
const offset = z.coerce.number().int().min(0).max(1_000_000).catch(0).default(0);
const pageQuery = z.object({
  q: z.string().max(200).catch('').default(''),
  state: z.enum(['', ...FILE_STATES, 'problems']).catch('').default(''),
  o: offset,
  fo: offset,
  do: offset,
  token: z.string().optional().catch(undefined),
});

/** The state the page shows for a query: the live overview and the first rows of each list. */
export function pageState(feed: StatusFeed, query: PageQuery): PageState {
  const text = query.q;
  const state = query.state === '' ? {} : { state: query.state as (typeof FILE_STATES)[number] | 'problems' };
  return {
    overview: feed.current(),
    failures: feed.filesPage({ state: 'problems', text, offset: query.fo, limit: LIST_SIZES.failures }),
    deliveries: feed.deliveriesPage({ text, offset: query.do, limit: LIST_SIZES.deliveries }),
    files: feed.filesPage({ ...state, text, offset: query.o, limit: LIST_SIZES.files }),
    query,
  };
}

/** `GET /` (the page, rendered with the current state) and `GET /page/app.js` (its script). */
export function registerStatusPage(app: FastifyInstance, feed: StatusFeed): void {
  let script: string | undefined;
  try {
    script = readFileSync(BUNDLE, 'utf8');
  } catch {
    // Not built (a test running the sources): the page still shows the state, without live updates.
    script = undefined;
  }
  app.get('/', async (req, reply) => {
    const { token, ...query } = pageQuery.parse(req.query ?? {});
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(renderDocument(pageState(feed, query), token, `page/app.js${token ? `?token=${encodeURIComponent(token)}` : ''}`));
  });
  app.get('/page/app.js', async (_req, reply) =>
    script === undefined
      ? reply.code(404).send({ error: 'the page script is not built: run `npx nx run agent:build`' })
      : reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(script),
  );
}
