import { type Server, createServer } from 'node:http';
import { parseFaultPatch } from './faults';
import type { SimState } from './sim-state';
import type { S3Store } from './store';
import { readControlJson, sendJson } from '../shared/control-http';

/**
 * The control API (simulators' conventions): `GET/POST/DELETE /faults` (POST takes any subset as
 * JSON; an unknown or malformed field answers 400 naming it), `GET /state` (counters, uploads in
 * progress, parts being received, faults), `DELETE /state` (counters back to zero; objects and uploads stay).
 */
export function createControlServer(store: S3Store, state: SimState): Server {
  const snapshot = (): unknown => ({
    ...structuredClone(state.counters),
    uploadsInProgress: store.allUploads(),
    partsReceiving: [...state.receiving].map((p) => ({ ...p })),
    faults: state.faults,
  });
  return createServer((req, res) => {
    const route = `${req.method ?? 'GET'} ${new URL(req.url ?? '/', 'http://127.0.0.1').pathname}`;
    void (async () => {
      try {
        switch (route) {
          case 'GET /faults':
            return sendJson(res, 200, state.faults);
          case 'POST /faults':
            return sendJson(res, 200, state.setFaults(parseFaultPatch(await readControlJson(req))));
          case 'DELETE /faults':
            return sendJson(res, 200, state.clearFaults());
          case 'GET /state':
            return sendJson(res, 200, snapshot());
          case 'DELETE /state':
            state.resetCounters();
            return sendJson(res, 200, snapshot());
          default:
            return sendJson(res, 404, { error: `no route ${route}` });
        }
      } catch (err) {
        return sendJson(res, 400, { error: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
}
