import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { Vehicle } from './vehicle';
import { readControlJson, sendJson } from '../shared/control-http';

/**
 * The simulator's control API (JSON over HTTP on 127.0.0.1):
 * - `GET /state` — armed flag, faults, per-link session and counters, `bytesServed` per path
 * - `POST /faults` — merge a partial fault set (see faults.ts), returns the full set
 * - `POST /arm`, `POST /disarm`
 * - `POST /reboot` `{"downMs":1500}` — power-cycle mid-transfer
 * - `POST /stale-session` — leave PX4's one session open as a crashed client would (not while rebooting)
 * - `POST /reset-stats`
 */
export async function startControl(vehicle: Vehicle, port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void handle(vehicle, req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function handle(vehicle: Vehicle, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const send = (status: number, body: unknown): void => sendJson(res, status, body);
  try {
    const route = `${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`;
    const body = req.method === 'POST' ? await readControlJson(req) : {};
    switch (route) {
      case 'GET /state':
        return send(200, vehicle.state());
      case 'POST /faults':
        return send(200, vehicle.setFaults(body));
      case 'POST /arm':
        vehicle.arm(true);
        return send(200, { armed: true });
      case 'POST /disarm':
        vehicle.arm(false);
        return send(200, { armed: false });
      case 'POST /reboot': {
        const downMs = (body as { downMs?: unknown }).downMs;
        vehicle.reboot(typeof downMs === 'number' ? downMs : 1500);
        return send(200, { rebooting: true });
      }
      case 'POST /stale-session': {
        // Null while the vehicle is rebooting: nothing can open a session on a powered-off PX4.
        const path = vehicle.leaveStaleSession() ?? null;
        return send(200, { heldBy: path === null ? null : 'sysid 254', path });
      }
      case 'POST /reset-stats':
        vehicle.resetStats();
        return send(200, { ok: true });
      default:
        return send(404, { error: `no route ${route}` });
    }
  } catch (err) {
    send(400, { error: err instanceof Error ? err.message : String(err) });
  }
}
