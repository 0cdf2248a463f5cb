import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FlashSimulator } from './flash-simulator';

export interface ControlServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  if (text.trim() === '') return {};
  const value = JSON.parse(text) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected a JSON object');
  return value as Record<string, unknown>;
}

const str = (v: unknown, name: string): string => {
  if (typeof v !== 'string' || v === '') throw new Error(`"${name}" must be a non-empty string`);
  return v;
};
const num = (v: unknown, name: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`"${name}" must be a number ≥ 0`);
  return v;
};
const optional = <T>(v: unknown, read: (v: unknown) => T): T | undefined => (v === undefined ? undefined : read(v));

/**
 * The simulator's control API (JSON over HTTP on 127.0.0.1):
 * GET /state · POST /cards {uuid?,label?,seed?,content?} · POST /insert {uuid?} · POST /unplug ·
 * POST /faults/unplug-after {path,bytes} · POST /faults/unreadable {path,offset?,errno?} ·
 * POST /faults/slow {ms} · POST /faults/hang {path} · POST /faults/clear ·
 * POST /gate {path,offset,length} → {action:"ok"} | {action:"fail",errno} (the device's read gate).
 */
export async function startControlServer(sim: FlashSimulator, port = 0): Promise<ControlServer> {
  const route = async (req: IncomingMessage): Promise<unknown> => {
    const key = `${req.method ?? 'GET'} ${new URL(req.url ?? '/', 'http://x').pathname}`;
    if (key === 'GET /state') return sim.state();
    const b = await body(req);
    switch (key) {
      case 'POST /cards': {
        const content = b['content'];
        return sim.createCard({
          ...(b['uuid'] === undefined ? {} : { uuid: str(b['uuid'], 'uuid') }),
          ...(b['label'] === undefined ? {} : { label: str(b['label'], 'label') }),
          ...(b['seed'] === undefined ? {} : { seed: num(b['seed'], 'seed') }),
          ...(content === undefined ? {} : { content: content === false ? false : (content as object) }),
        });
      }
      case 'POST /insert':
        return sim.insert(optional(b['uuid'], (v) => str(v, 'uuid')));
      case 'POST /unplug':
        await sim.unplug();
        return sim.state();
      case 'POST /faults/unplug-after':
        sim.setUnplugAfter(str(b['path'], 'path'), num(b['bytes'], 'bytes'));
        return sim.state().faults;
      case 'POST /faults/unreadable': {
        const offset = optional(b['offset'], (v) => num(v, 'offset'));
        const errno = optional(b['errno'], (v) => str(v, 'errno'));
        sim.setUnreadable(str(b['path'], 'path'), { ...(offset === undefined ? {} : { offset }), ...(errno === undefined ? {} : { errno }) });
        return sim.state().faults;
      }
      case 'POST /faults/slow':
        sim.setSlow(num(b['ms'], 'ms'));
        return sim.state().faults;
      case 'POST /faults/hang':
        sim.setHang(str(b['path'], 'path'));
        return sim.state().faults;
      case 'POST /faults/clear':
        sim.clearFaults();
        return sim.state().faults;
      case 'POST /gate':
        return sim.gate({ path: str(b['path'], 'path'), offset: num(b['offset'], 'offset'), length: num(b['length'], 'length') });
      default:
        return undefined;
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    route(req).then(
      (result) => {
        res.writeHead(result === undefined ? 404 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(result ?? { error: `no route ${req.method} ${req.url}` }));
      },
      (err: unknown) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
      },
    );
  };

  const server = createServer(handle);
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveListen());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
