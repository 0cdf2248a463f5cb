import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { parseFaultPatch } from './faults';
import type { SimState } from './sim-state';
import type { S3Store } from './store';

/**
 * The control API (simulators' conventions): `GET/POST/DELETE /faults` (POST takes any subset as
 * JSON; an unknown or malformed field answers 400 naming it), `GET /state` (counters, uploads in
 * progress, faults), `DELETE /state` (counters back to zero; objects and uploads stay).
 */
export function createControlServer(store: S3Store, state: SimState): Server {
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const bodyOf = async (req: IncomingMessage): Promise<unknown> => {
    const parts: Buffer[] = [];
    let total = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > 64 * 1024) throw new Error('body too large');
      parts.push(chunk);
    }
    const text = Buffer.concat(parts).toString('utf8');
    return text.trim() === '' ? {} : (JSON.parse(text) as unknown);
  };
  const snapshot = (): unknown => ({ ...structuredClone(state.counters), uploadsInProgress: store.allUploads(), faults: state.faults });
  return createServer((req, res) => {
    const route = `${req.method ?? 'GET'} ${new URL(req.url ?? '/', 'http://127.0.0.1').pathname}`;
    void (async () => {
      try {
        switch (route) {
          case 'GET /faults':
            return send(res, 200, state.faults);
          case 'POST /faults':
            return send(res, 200, state.setFaults(parseFaultPatch(await bodyOf(req))));
          case 'DELETE /faults':
            return send(res, 200, state.clearFaults());
          case 'GET /state':
            return send(res, 200, snapshot());
          case 'DELETE /state':
            state.resetCounters();
            return send(res, 200, snapshot());
          default:
            return send(res, 404, { error: `no route ${route}` });
        }
      } catch (err) {
        return send(res, 400, { error: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
}
