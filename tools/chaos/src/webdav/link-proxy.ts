import { once } from 'node:events';
import { type ClientRequest, type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProxyHooks } from '@filesync/device-webdav/testing/partial-update';

/** Bytes of request bodies (PUT, PATCH) the link carried, per decoded request path. */
export interface LinkCounts {
  readonly received: Record<string, number>;
  readonly bytesReceived: number;
}

export interface LinkProxy {
  /** `http://127.0.0.1:PORT/`: the proxy's base URL; paths are forwarded unchanged. */
  readonly url: string;
  counts(): LinkCounts;
  /**
   * Resets every connection from the agent's side at once, dropping what the link had not yet read: a
   * power cut, where a SIGKILL alone would let the kernel still deliver the dead agent's send buffers (a
   * whole 1 MiB PATCH piece, appended after the agent died).
   */
  dropClients(): void;
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
export interface LinkOptions {
  /** Request bodies are paced at this many bytes/s (none: as fast as the sockets go). */
  readonly bandwidth?: number;
  /**
   * Protocol the server lacks, given by the link (the device's test-support hooks: Sabre's partial
   * updates): a `PATCH` is read whole (paced and counted as it arrives), then offered to `answer`; an
   * answer's headers pass through `response`.
   */
  readonly hooks?: ProxyHooks;
}

export async function startLinkProxy(upstream: string, options: LinkOptions = {}): Promise<LinkProxy> {
  const up = new URL(upstream);
  const received: Record<string, number> = {};
  let bytesReceived = 0;
  const count = (path: string, n: number): void => {
    received[path] = (received[path] ?? 0) + n;
    bytesReceived += n;
  };

  const server: Server = createServer((req, res) => void forward(req, res));
  const clients = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    clients.add(socket);
    socket.once('close', () => clients.delete(socket));
  });

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'PATCH' && options.hooks?.answer) return patch(req, res, options.hooks.answer);
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: up.host };
    // MOVE names its destination by URL; the server checks it is on its own host.
    if (typeof headers['destination'] === 'string') headers['destination'] = new URL(new URL(headers['destination']).pathname, up).href;
    const out = request(new URL(req.url ?? '/', up), { method: req.method, headers });
    // `req.destroy()`, not `req.socket.destroy()`: an upstream error can come after the exchange ended,
    // when the request has no socket any more (seen in a long run: the runner died on it).
    const cut = (): void => {
      out.destroy();
      req.destroy();
    };
    out.on('error', cut);
    out.on('response', (answer) => {
      const status = answer.statusCode ?? 502;
      res.writeHead(status, options.hooks?.response?.(req, status, { ...answer.headers }, Buffer.alloc(0)).headers ?? answer.headers);
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

  /**
   * A partial update applied by the link: only a whole body is applied (a PATCH cut by a kill appends
   * nothing, as a server that checks Content-Length does); one the hook does not take is refused.
   */
  async function patch(req: IncomingMessage, res: ServerResponse, answer: NonNullable<ProxyHooks['answer']>): Promise<void> {
    const path = pathOf(req.url);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        if (options.bandwidth !== undefined && options.bandwidth > 0) await sleep((chunk.length / options.bandwidth) * 1000);
        chunks.push(chunk);
        count(path, chunk.length);
      }
      if (await answer(req, Buffer.concat(chunks), res)) return;
      res.writeHead(501);
      res.end();
    } catch {
      req.destroy();
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    counts: () => ({ received: { ...received }, bytesReceived }),
    dropClients: () => {
      for (const socket of clients) socket.resetAndDestroy();
    },
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
