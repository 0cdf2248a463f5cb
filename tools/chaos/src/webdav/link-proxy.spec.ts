import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type LinkProxy, startLinkProxy } from './link-proxy';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly destination: string | undefined;
  readonly bytes: number;
  readonly complete: boolean;
}

/** A stand-in server that reads each request whole (or until it is cut) and answers 201. */
async function startUpstream(): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    const done = (): void => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', destination: req.headers['destination'] as string | undefined, bytes, complete: req.complete });
    };
    req.on('end', () => {
      done();
      res.writeHead(201);
      res.end();
    });
    // A cut request ends with 'close' before 'end' (Node no longer emits 'aborted' in every case).
    req.on('close', () => {
      if (!req.complete) done();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen, server };
}

describe('link proxy (the WebDAV NAS link of the chaos suite)', () => {
  let proxy: LinkProxy | undefined;
  let upstream: Server | undefined;
  afterEach(async () => {
    await proxy?.close();
    upstream?.closeAllConnections();
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
    proxy = undefined;
    upstream = undefined;
  });

  it('counts upload bodies per decoded path at the paced rate, not other bodies, and points MOVE at the server', async () => {
    const up = await startUpstream();
    upstream = up.server;
    proxy = await startLinkProxy(up.url, { bandwidth: 1024 * 1024 });
    const started = Date.now();
    const put = await fetch(`${proxy.url}a%20b/c.mp4.part`, { method: 'PUT', body: new Uint8Array(300 * 1024) });
    expect(put.status).toBe(201);
    // 300 KiB at 1 MiB/s: about 0.3 s (less the first chunk's head start).
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    await fetch(`${proxy.url}a%20b/c.mp4.part`, { method: 'PROPFIND', body: '<propfind/>' });
    await fetch(`${proxy.url}a%20b/c.mp4.part`, { method: 'MOVE', headers: { destination: `${proxy.url}a%20b/c.mp4` } });
    expect(proxy.counts()).toEqual({ received: { '/a b/c.mp4.part': 300 * 1024 }, bytesReceived: 300 * 1024 });
    expect(up.seen.find((s) => s.method === 'MOVE')?.destination).toBe(`${up.url}a%20b/c.mp4`);
  });

  it('passes a client cut mid-body on to the server', async () => {
    const up = await startUpstream();
    upstream = up.server;
    proxy = await startLinkProxy(up.url, { bandwidth: 1024 * 1024 });
    const abort = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      pull: async (c) => {
        c.enqueue(new Uint8Array(64 * 1024));
        await new Promise((r) => setTimeout(r, 20));
      },
    });
    const request = fetch(`${proxy.url}x.part`, { method: 'PUT', body, signal: abort.signal, duplex: 'half' } as RequestInit);
    await new Promise((r) => setTimeout(r, 400));
    abort.abort();
    await expect(request).rejects.toThrow();
    // What the client had pushed into the sockets' buffers still comes through first, then the cut.
    for (let i = 0; i < 400 && up.seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(up.seen).toHaveLength(1);
    expect(up.seen[0]).toMatchObject({ method: 'PUT', complete: false });
    expect(up.seen[0]!.bytes).toBeGreaterThan(0);
  });

  it('drops the clients at a power cut: a body the link had not read yet never reaches the server', async () => {
    const up = await startUpstream();
    upstream = up.server;
    proxy = await startLinkProxy(up.url, { bandwidth: 256 * 1024 });
    // 1 MiB handed to the sockets at once, read by the link at 256 KiB/s: most of it is still buffered at the cut.
    const request = fetch(`${proxy.url}piece.part`, { method: 'PUT', body: new Uint8Array(1024 * 1024) }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    const before = proxy.counts().bytesReceived;
    proxy.dropClients();
    await request;
    await new Promise((r) => setTimeout(r, 500));
    expect(proxy.counts().bytesReceived - before).toBeLessThan(128 * 1024);
    expect(up.seen.find((s) => s.url === '/piece.part')?.complete).not.toBe(true);
  });

  it('resets the client when the server is not there', async () => {
    const up = await startUpstream();
    up.server.closeAllConnections();
    await new Promise<void>((resolve) => up.server.close(() => resolve()));
    proxy = await startLinkProxy(up.url);
    await expect(fetch(`${proxy.url}y.part`, { method: 'PUT', body: 'abc' })).rejects.toThrow();
    expect(proxy.counts().bytesReceived).toBe(0);
  });
});
