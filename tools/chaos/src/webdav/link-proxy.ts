import { once } from 'node:events';
import { type ClientRequest, type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Bytes of request bodies (PUT, PATCH) the link carried, per decoded request path. */
export interface LinkCounts {
  readonly received: Record<string, number>;
  readonly bytesReceived: number;
}

export interface LinkProxy {
  /** `http://127.0.0.1:PORT/`: the proxy's base URL; paths are forwarded unchanged. */
  readonly url: string;
  counts(): LinkCounts;
  close(): Promise<void>;
}

/**
 * The ground link in front of a WebDAV server that keeps no figures of its own (rclone): every request
 * is streamed through to `upstream`, request bodies capped at `bandwidth` bytes/s (per request, as the FTP
 * NAS simulator paces each transfer) and counted per path once written to a connected upstream, so the
 * chaos counters see what the agent sent twice. Nothing is buffered whole (dav-proxy in the device's
 * test-support is, which suits small test files only). Either side going away is passed on: the agent
 * killed mid-PUT cuts the upstream request; the server killed mid-request resets the agent's connection.
 */
export async function startLinkProxy(upstream: string, options: { bandwidth?: number } = {}): Promise<LinkProxy> {
  const up = new URL(upstream);
  const received: Record<string, number> = {};
  let bytesReceived = 0;
  const count = (path: string, n: number): void => {
    received[path] = (received[path] ?? 0) + n;
    bytesReceived += n;
  };

  const server: Server = createServer((req, res) => void forward(req, res));

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: up.host };
    // MOVE names its destination by URL; the server checks it is on its own host.
    if (typeof headers['destination'] === 'string') headers['destination'] = new URL(new URL(headers['destination']).pathname, up).href;
    const out = request(new URL(req.url ?? '/', up), { method: req.method, headers });
    const cut = (): void => {
      out.destroy();
      req.socket.destroy();
    };
    out.on('error', cut);
    out.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('error', cut);
      answer.on('aborted', cut);
    });
    req.on('close', () => {
      // The agent went away before its request was whole (killed mid-PUT): the server must see the cut too.
      if (!req.complete) out.destroy();
    });
    try {
      await connected(out);
      const path = pathOf(req.url);
      // Only uploads count: a PROPFIND's XML body is not file data.
      const upload = req.method === 'PUT' || req.method === 'PATCH';
      for await (const chunk of req as AsyncIterable<Buffer>) {
        if (options.bandwidth !== undefined && options.bandwidth > 0) await sleep((chunk.length / options.bandwidth) * 1000);
        if (!out.write(chunk)) await once(out, 'drain');
        if (upload) count(path, chunk.length);
      }
      out.end();
    } catch {
      cut();
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    counts: () => ({ received: { ...received }, bytesReceived }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Resolves once the request has a connected socket (at once for a kept-alive one); rejects if it fails first. */
function connected(out: ClientRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    out.once('error', reject);
    out.once('socket', (socket) => {
      if (socket.connecting) socket.once('connect', () => resolve());
      else resolve();
    });
  });
}

/** A request path as the server stores it (percent-decoding undone), without the query. */
function pathOf(url: string | undefined): string {
  const raw = (url ?? '/').split('?')[0] ?? '/';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
