import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, configSchema } from '@filesync/core/config';
import { type Catalog, openCatalog } from '@filesync/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statusAccess } from './status-access';
import { startStatusServer } from './status-server';
import { StatusFeed } from './status/status-feed';

const config: Config = configSchema.parse({
  dataDir: '/unused',
  sources: [{ id: 'inbox', type: 'local', dir: '/unused/in' }],
  targets: [{ id: 'outbox', type: 'local', dir: '/unused/out' }],
  routes: [{ source: 'inbox', targets: ['outbox'] }],
});

/** Whether something accepts a TCP connection at host:port now. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The sockets are node:http; fastify and the routes load at the first request (status-server.ts). */
describe('status server', () => {
  let dir: string;
  let catalog: Catalog;
  let feedClosed: number;

  const start = async (host = '127.0.0.1'): Promise<{ url: string; close(): Promise<void> }> => {
    const feed = new StatusFeed({
      catalog,
      config,
      status: () => ({ counts: catalog.counts(), health: { sources: {}, targets: {} }, tree: undefined, repair: undefined }),
      wake: () => undefined,
      close: () => feedClosed++,
    });
    return startStatusServer(() => ({ startedAt: 0, counts: catalog.counts(), health: { sources: {}, targets: {} }, repair: undefined, tree: undefined }), host, 0, statusAccess(undefined), feed);
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fs-status-server-'));
    catalog = openCatalog(join(dir, 'catalog.db')).catalog;
    feedClosed = 0;
  });
  afterEach(async () => {
    catalog.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers every request that arrives while the routes are still loading, each with its own route', async () => {
    const server = await start();
    try {
      const paths = ['/api/status', '/api/overview', '/api/files?limit=1', '/api/status', '/nowhere'];
      const answers = await Promise.all(paths.map(async (p) => (await fetch(`${server.url}${p}`)).status));
      expect(answers).toEqual([200, 200, 200, 200, 404]);
      expect(((await (await fetch(`${server.url}/api/status`)).json()) as { counts: unknown }).counts).toEqual(catalog.counts());
    } finally {
      await server.close();
    }
  });

  it('closes without ever loading the routes: the feed stops once and the port is free', async () => {
    const server = await start();
    const { hostname, port } = new URL(server.url);
    expect(await accepts(hostname, Number(port))).toBe(true);
    await server.close();
    expect(feedClosed).toBe(1);
    expect(await accepts(hostname, Number(port))).toBe(false);
  });

  it('closes with an event stream open: the stream ends, the feed stops once', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/api/events`);
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('retry: 2000');
    const closing = performance.now();
    await server.close();
    // Not held up by the stream's keep-alive connection (the client would close it after a few seconds).
    expect(performance.now() - closing).toBeLessThan(2_000);
    // Read to the end: the stream was ended by the server, not left hanging.
    for (let r = await reader.read(); !r.done; r = await reader.read());
    expect(feedClosed).toBe(1);
  }, 10_000);

  it('on localhost, listens on each loopback address the name resolves to, at one port', async () => {
    const { lookup } = await import('node:dns/promises');
    const addresses = (await lookup('localhost', { all: true })).map((a) => a.address);
    const server = await start('localhost');
    try {
      const { port } = new URL(server.url);
      for (const address of addresses) expect({ address, accepts: await accepts(address, Number(port)) }).toEqual({ address, accepts: true });
    } finally {
      await server.close();
    }
  });
});
