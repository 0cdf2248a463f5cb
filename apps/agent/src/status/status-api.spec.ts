import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, configSchema } from '@filesync/core/config';
import type { PipelineSignal } from '@filesync/pipeline';
import { type Catalog, openCatalog } from '@filesync/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statusAccess } from '../status-access';
import { startStatusServer } from '../status-server';
import type { FileView, Overview, PageView } from './overview';
import { StatusFeed } from './status-feed';

const SHA = 'a'.repeat(64);
const TOKEN = 'a-token-of-twenty-four-c';
const UNKNOWN = '0'.repeat(32);

const config: Config = configSchema.parse({
  dataDir: '/unused',
  sources: [{ id: 'inbox', type: 'local', dir: '/unused/in' }],
  targets: [{ id: 'outbox', type: 'local', dir: '/unused/out' }],
  routes: [{ source: 'inbox', targets: ['outbox'], targetPath: 'drone/{path}' }],
});

/** A real catalog behind a real status server on 127.0.0.1: every test talks HTTP to it. */
describe('status API', () => {
  let dir: string;
  let catalog: Catalog;
  let url: string;
  let close: () => Promise<void>;
  let woken: PipelineSignal[];

  const file = (path: string, size = 100): string => catalog.recordFound({ sourceId: 'inbox', path, size, mtimeMs: 1_000 }, ['outbox']).fileId;
  const failed = (path: string): string => {
    const id = file(path);
    catalog.transitionFile(id, 'failed', { reason: 'EIO: the card refused the read' });
    return id;
  };
  const delivered = (path: string, receipt: string): string => {
    const id = file(path);
    catalog.transitionFile(id, 'downloading');
    catalog.recordDownloadProgress(id, 100);
    catalog.transitionFile(id, 'staged', { sha256: SHA });
    catalog.transitionTarget(id, 'outbox', 'uploading');
    catalog.transitionTarget(id, 'outbox', 'uploaded', { offset: 100, receipt });
    catalog.transitionFile(id, 'delivered');
    return id;
  };

  async function serve(token?: string): Promise<void> {
    const feed = new StatusFeed({
      catalog,
      config,
      status: () => ({
        counts: catalog.counts(),
        health: { sources: { inbox: { state: 'down', cause: { kind: 'transient', code: 'timeout', message: 'no answer in 5 s' }, consecutiveFailures: 3, retryAtMs: 0, since: 1 } }, targets: {} },
        tree: undefined,
        repair: undefined,
      }),
      wake: (signal) => woken.push(signal),
    });
    const server = await startStatusServer(() => ({ startedAt: 0, counts: catalog.counts(), health: { sources: {}, targets: {} }, repair: undefined, tree: undefined }), '127.0.0.1', 0, statusAccess(token), feed);
    url = server.url;
    close = server.close;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fs-status-api-'));
    catalog = openCatalog(join(dir, 'catalog.db')).catalog;
    woken = [];
  });
  afterEach(async () => {
    await close?.();
    catalog.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = async (path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${url}${path}`, init);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const post = (path: string): Promise<{ status: number; body: Record<string, unknown> }> => call(path, { method: 'POST' });

  it('refuses bad input with 400 and a reason naming the field', async () => {
    await serve();
    const id = failed('a.bin');
    const cases: [string, 'GET' | 'POST', RegExp][] = [
      ['/api/files/not-an-id', 'GET', /^fileId: expected a file id of 32 hex digits/],
      [`/api/files/${id}/explode`, 'POST', /^action: expected the action "retry"/],
      ['/api/routes/inbox~outbox/stop', 'POST', /^action: expected the action "pause" or "resume"/],
      ['/api/routes/..%2Fetc/pause', 'POST', /^routeId: expected a route id/],
      ['/api/files?limit=0', 'GET', /^limit: expected 1 to 200/],
      ['/api/files?offset=-1', 'GET', /^offset: expected 0 or more/],
      ['/api/files?state=lost', 'GET', /^state: expected one of found, downloading/],
      ['/api/deliveries?sort=size', 'GET', /sort/],
    ];
    for (const [path, method, reason] of cases) {
      const { status, body } = await call(path, { method });
      expect({ path, status }).toEqual({ path, status: 400 });
      expect(body['error']).toMatch(reason);
    }
    // Nothing was retried by the refused calls.
    expect(catalog.getFile(id)?.state).toBe('failed');
  });

  it('answers 404 for a file or route it does not know, and 409 for a file with nothing to retry', async () => {
    await serve();
    expect(await call(`/api/files/${UNKNOWN}`)).toMatchObject({ status: 404, body: { error: `no file ${UNKNOWN} in the catalog` } });
    expect((await post(`/api/files/${UNKNOWN}/retry`)).status).toBe(404);
    expect(await post('/api/routes/inbox~nowhere/pause')).toMatchObject({ status: 404, body: { error: expect.stringContaining('the routes are inbox~outbox') } });
    const ok = delivered('ok.bin', 'https://review.example/plot_app?log=1');
    expect(await post(`/api/files/${ok}/retry`)).toMatchObject({ status: 409, body: { error: expect.stringContaining('nothing to retry') } });
  });

  it('retry moves a failed file back to found and wakes its downloader; retry-all takes the rest', async () => {
    await serve();
    const one = failed('one.bin');
    const two = failed('two.bin');
    const { status, body } = await post(`/api/files/${one}/retry`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ retried: { files: 1, targets: 0 }, file: { fileId: one, state: 'found', attempts: 0 } });
    expect(catalog.getFile(one)).toMatchObject({ state: 'found', reason: 'retried from the status page' });
    expect(catalog.getFile(two)?.state).toBe('failed');
    expect(woken).toContainEqual({ type: 'signal.found', configId: 'inbox' });
    expect(await post('/api/failed/retry')).toMatchObject({ status: 200, body: { retried: { files: 1, targets: 0 } } });
    expect(catalog.getFile(two)?.state).toBe('found');
  });

  it('pages and searches files in SQL, and lists deliveries with their receipts and target paths', async () => {
    await serve();
    for (let i = 0; i < 30; i++) file(`flight-${String(i).padStart(2, '0')}.ulg`);
    failed('DCIM/IMG_0001.jpg');
    delivered('logs/a.ulg', 'https://review.example/plot_app?log=abc');
    const all = (await call('/api/files?limit=10&offset=10')).body as unknown as PageView<FileView>;
    expect({ total: all.total, n: all.items.length, offset: all.offset }).toEqual({ total: 32, n: 10, offset: 10 });
    const found = (await call('/api/files?q=FLIGHT-2&limit=200')).body as unknown as PageView<FileView>;
    expect(found.items.map((f) => f.path).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `flight-2${i}.ulg`));
    const problems = (await call('/api/files?state=problems')).body as unknown as PageView<FileView>;
    expect(problems.items.map((f) => [f.path, f.reason])).toEqual([['DCIM/IMG_0001.jpg', 'EIO: the card refused the read']]);
    const deliveries = await call('/api/deliveries');
    expect(deliveries.body).toMatchObject({
      total: 1,
      items: [{ path: 'logs/a.ulg', targetId: 'outbox', receipt: 'https://review.example/plot_app?log=abc', targetPath: 'drone/logs/a.ulg' }],
    });
  });

  it('stays usable with 10,000 tracked files: totals, pages and search come from SQL, and the page shows one page', async () => {
    // Written in one transaction beside the catalog: 10,000 recordFound calls would be 10,000 fsyncs.
    catalog.close();
    const db = new Database(join(dir, 'catalog.db'));
    const insertFile = db.prepare(
      `INSERT INTO files (file_id, source_id, path, size, mtime_ms, state, reason, attempts, found_at, updated_at) VALUES (?, 'inbox', ?, 1000, 0, ?, ?, ?, ?, ?)`,
    );
    const insertTarget = db.prepare(`INSERT INTO file_targets (file_id, target_id, state, updated_at) VALUES (?, 'outbox', 'pending', 0)`);
    db.transaction(() => {
      for (let i = 0; i < 10_000; i++) {
        const id = i.toString(16).padStart(32, '0');
        const failedOne = i % 100 === 0;
        insertFile.run(id, `flight/${String(i).padStart(5, '0')}.ulg`, failedOne ? 'failed' : 'found', failedOne ? 'EIO' : null, failedOne ? 5 : 0, i, i);
        insertTarget.run(id);
      }
    })();
    db.close();
    catalog = openCatalog(join(dir, 'catalog.db')).catalog;
    await serve();
    expect(await call('/api/files?limit=25&offset=9990')).toMatchObject({ status: 200, body: { total: 10_000, offset: 9990, limit: 25 } });
    expect(((await call('/api/files?limit=25&offset=9990')).body['items'] as unknown[]).length).toBe(10);
    const one = (await call('/api/files?q=00042')).body as unknown as PageView<FileView>;
    expect(one.items.map((f) => f.path)).toEqual(['flight/00042.ulg']);
    expect((await call('/api/files?state=problems')).body).toMatchObject({ total: 100 });
    expect(((await call('/api/overview')).body as unknown as Overview).problems).toBe(100);
    const html = await (await fetch(`${url}/`)).text();
    expect(html).toContain('1–25 of 10000');
    expect(html.match(/<tr data-file=/g)).toHaveLength(25);
    const searched = await (await fetch(`${url}/?q=00042`)).text();
    expect(searched.match(/<tr data-file=/g)).toHaveLength(1);
  }, 60_000);

  it('pause and resume a route: kept in the catalog, shown in the overview, resume wakes the source', async () => {
    await serve();
    expect(await post('/api/routes/inbox~outbox/pause')).toMatchObject({ status: 200, body: { route: { id: 'inbox~outbox', paused: true } } });
    expect(catalog.pausedRoutes()).toEqual(['inbox~outbox']);
    const overview = (await call('/api/overview')).body as unknown as Overview;
    expect(overview.routes).toEqual([{ id: 'inbox~outbox', source: 'inbox', targets: ['outbox'], policy: 'copy', paused: true }]);
    expect(overview.devices).toEqual([{ role: 'source', id: 'inbox', state: 'down', cause: { code: 'timeout', message: 'no answer in 5 s' }, since: 1 }]);
    expect(await post('/api/routes/inbox~outbox/resume')).toMatchObject({ status: 200, body: { route: { paused: false } } });
    expect(catalog.pausedRoutes()).toEqual([]);
    expect(woken).toContainEqual({ type: 'signal.found', configId: 'inbox' });
  });

  it('server-sent events: the overview at once, and a new one right after an action', async () => {
    await serve();
    const id = failed('bad.bin');
    const abort = new AbortController();
    const res = await fetch(`${url}/api/events`, { signal: abort.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    /** The next `overview` event's data (bounded by a count of reads; the test's own timeout bounds time). */
    const nextOverview = async (): Promise<Overview> => {
      for (let i = 0; i < 1_000; i++) {
        const end = text.indexOf('\n\n', text.indexOf('event: overview'));
        if (text.includes('event: overview') && end >= 0) {
          const start = text.indexOf('event: overview');
          const block = text.slice(start, end);
          text = text.slice(end + 2);
          return JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))?.slice(6) ?? 'null') as Overview;
        }
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      throw new Error(`no overview event in: ${text.slice(0, 500)}`);
    };
    try {
      expect((await nextOverview()).problems).toBe(1);
      await post(`/api/files/${id}/retry`);
      let problems = 1;
      for (let i = 0; i < 20 && problems !== 0; i++) problems = (await nextOverview()).problems;
      expect(problems).toBe(0);
    } finally {
      abort.abort();
    }
  }, 30_000);

  it('renders the first view on the server: the state is in the HTML, with no "loading"', async () => {
    await serve();
    failed('DCIM/broken <1>.jpg');
    delivered('logs/flight.ulg', 'https://review.example/plot_app?log=xyz');
    const res = await fetch(`${url}/`);
    const html = await res.text();
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).not.toMatch(/loading…|>loading/i);
    expect(html).toContain('DCIM/broken &lt;1&gt;.jpg');
    expect(html).toContain('EIO: the card refused the read');
    expect(html).toContain('<a href="https://review.example/plot_app?log=xyz"');
    expect(html).toContain('no answer in 5 s');
    expect(html).toMatch(/<script type="module" src="page\/app\.js"><\/script>/);
  });

  it('with a token, every new route needs it too (401), and takes it from the query as the page does', async () => {
    await serve(TOKEN);
    const id = failed('a.bin');
    for (const [path, method] of [
      ['/', 'GET'],
      ['/page/app.js', 'GET'],
      ['/api/overview', 'GET'],
      ['/api/events', 'GET'],
      ['/api/files', 'GET'],
      ['/api/deliveries', 'GET'],
      [`/api/files/${id}/retry`, 'POST'],
      ['/api/failed/retry', 'POST'],
      ['/api/routes/inbox~outbox/pause', 'POST'],
    ] as const) {
      expect({ path, status: (await fetch(`${url}${path}`, { method })).status }).toEqual({ path, status: 401 });
    }
    expect(catalog.getFile(id)?.state).toBe('failed');
    expect((await fetch(`${url}/api/files?token=${TOKEN}`)).status).toBe(200);
    expect((await post(`/api/files/${id}/retry?token=${TOKEN}`)).status).toBe(200);
  });
});
