import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a fault hook may do with one request before (or instead of) forwarding it. */
export interface ProxyHooks {
  /** Answer the request here (return true) instead of forwarding it: a fault such as 507. */
  answer?(req: IncomingMessage, body: Buffer, res: ServerResponse): boolean | Promise<boolean>;
  /** Changes a request body before it is forwarded (a server that stores other bytes). */
  requestBody?(req: IncomingMessage, body: Buffer): Buffer;
  /** Changes an answer's headers and body before it is returned. */
  response?(req: IncomingMessage, status: number, headers: Record<string, string | string[] | undefined>, body: Buffer): { headers?: Record<string, string | string[] | undefined>; body?: Buffer };
}

export interface DavProxy {
  /** `http://127.0.0.1:PORT/`: the proxy's base URL; paths are forwarded unchanged. */
  readonly url: string;
  hooks: ProxyHooks;
  /** Every request seen, as "METHOD /path". */
  readonly seen: string[];
  close(): Promise<void>;
}

/**
 * A WebDAV man in the middle on 127.0.0.1 in front of a real server (rclone), buffering each request
 * and answer so fault hooks can lie: store different bytes, invent checksums, answer 507. Buffered
 * whole, so it is for small test files only. MOVE's Destination is rewritten to the upstream origin.
 */
export async function startDavProxy(upstream: string, hooks: ProxyHooks = {}): Promise<DavProxy> {
  const up = new URL(upstream);
  const seen: string[] = [];
  const proxy: { hooks: ProxyHooks } = { hooks };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Buffer = Buffer.concat(chunks);
    seen.push(`${req.method} ${req.url}`);
    try {
      if (await proxy.hooks.answer?.(req, body, res)) return;
      body = proxy.hooks.requestBody?.(req, body) ?? body;
      const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: up.host, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      if (typeof headers['destination'] === 'string') {
        const dest = new URL(headers['destination']);
        headers['destination'] = new URL(dest.pathname, up).href;
      }
      const answer = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        const out = request(new URL(req.url ?? '/', up), { method: req.method, headers }, (r) => {
          const parts: Buffer[] = [];
          r.on('data', (c: Buffer) => parts.push(c));
          r.on('end', () => resolve({ status: r.statusCode ?? 502, headers: { ...r.headers }, body: Buffer.concat(parts) }));
          r.on('error', reject);
        });
        out.on('error', reject);
        out.end(body);
      });
      const changed = proxy.hooks.response?.(req, answer.status, answer.headers, answer.body) ?? {};
      const outHeaders = { ...(changed.headers ?? answer.headers) };
      const outBody = changed.body ?? answer.body;
      delete outHeaders['transfer-encoding'];
      outHeaders['content-length'] = String(outBody.length);
      res.writeHead(answer.status, outHeaders);
      res.end(outBody);
    } catch (err) {
      res.writeHead(502);
      res.end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    get hooks() {
      return proxy.hooks;
    },
    set hooks(h: ProxyHooks) {
      proxy.hooks = h;
    },
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
