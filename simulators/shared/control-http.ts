import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A control request is a small JSON patch; anything larger is a mistake, not a fault to simulate. */
const MAX_CONTROL_BYTES = 64 * 1024;

/** A control request's JSON body; an empty one is `{}`. */
export async function readControlJson(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_CONTROL_BYTES) throw new Error('control request too large');
    parts.push(chunk);
  }
  const text = Buffer.concat(parts).toString('utf8');
  return text.trim() === '' ? {} : (JSON.parse(text) as unknown);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Listens on 127.0.0.1 (`port` 0: any free one); resolves with `http://127.0.0.1:PORT`. */
export function listenLocal(server: Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

/** Stops listening and drops open connections (keep-alive clients would hold `close` open). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
