import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { FtpSrv } from 'ftp-srv';
import { type FaultPatch, type FtpFaults, parseFaultPatch } from './faults';
import { SIM_STATE, installSimHandlers } from './handlers';
import { silentLog } from './ftp-srv-internals';
import { type SimStats, SimState } from './sim-state';
import { seedRoot } from './seed';
import { readControlJson, sendJson } from '../shared/control-http';

export interface FtpSimulatorOptions {
  /** Directory served as the FTP root (created if missing). */
  readonly root: string;
  /** FTP control port on 127.0.0.1; 0 (default) = any free port. */
  readonly port?: number;
  /** HTTP control API port on 127.0.0.1; 0 (default) = any free port, false = no control API. */
  readonly controlPort?: number | false;
  /** The one account; default user `filesync`, password `filesync`. */
  readonly user?: string;
  readonly password?: string;
  /** Also accept `anonymous` with any password. */
  readonly anonymous?: boolean;
  /** PEM certificate and key: AUTH TLS (explicit FTPS) is offered, PROT P data connections too. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** With `tls`: implicit FTPS instead (TLS from the first byte; the URL becomes `ftps://`). */
  readonly implicitTls?: boolean;
  /** Offer `HASH SHA-256` and `XSHA256`; default true. */
  readonly hash?: boolean;
  /** Suffix of in-transit files, for the delete-parts fault; default `.part`. */
  readonly partSuffix?: string;
  /** Fill an empty root with generated content; default false (main.ts turns it on). */
  readonly seed?: boolean;
  readonly faults?: FaultPatch;
}

export interface FtpSimulator {
  /** `ftp://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** `http://127.0.0.1:PORT`, when the control API runs. */
  readonly controlUrl: string | undefined;
  readonly root: string;
  /** The ready line's object (ARCHITECTURE conventions). */
  readonly readyLine: Record<string, unknown>;
  faults(): FtpFaults;
  setFaults(patch: FaultPatch): FtpFaults;
  clearFaults(): FtpFaults;
  stats(): SimStats;
  resetStats(): void;
  /** Deletes every in-transit file now; returns their paths. */
  deleteParts(): Promise<string[]>;
  /** Drops every connection and refuses new ones for `downMs`, then serves again on the same port. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the flaky FTP server in this process (tests) — `main.ts` wraps it as a process. */
export async function startFtpSimulator(options: FtpSimulatorOptions): Promise<FtpSimulator> {
  installSimHandlers();
  const root = resolvePath(options.root);
  await mkdir(root, { recursive: true });
  if (options.seed) await seedRoot(root);
  const user = options.user ?? 'filesync';
  const password = options.password ?? 'filesync';
  const state = new SimState(root, options.partSuffix ?? '.part', options.hash ?? true);
  if (options.faults) state.setFaults(options.faults);

  const signalsBefore = new Map(['SIGTERM', 'SIGINT', 'SIGQUIT'].map((s) => [s, process.listeners(s as NodeJS.Signals)]));
  const srv = new FtpSrv({
    url: options.tls && options.implicitTls ? 'ftps://127.0.0.1:0' : 'ftp://127.0.0.1:0',
    pasv_url: '127.0.0.1',
    anonymous: options.anonymous ?? false,
    tls: options.tls ? { cert: options.tls.cert, key: options.tls.key } : false,
    log: silentLog,
    greeting: 'filesync FTP simulator',
  });
  // ftp-srv exits the process on signals; the owner of this process decides that, not the server.
  for (const [signal, before] of signalsBefore) {
    for (const l of process.listeners(signal as NodeJS.Signals)) if (!before.includes(l)) process.removeListener(signal, l);
  }
  (srv as unknown as { [SIM_STATE]: SimState })[SIM_STATE] = state;
  // Passive ports from the OS (port 0) rather than ftp-srv's scan from 1024, which races between parallel tests.
  (srv as unknown as { getNextPasvPort: () => Promise<number> }).getNextPasvPort = () => Promise.resolve(0);
  srv.on('login', ({ username, password: given }, resolve, reject) => {
    if ((username === user && given === password) || (options.anonymous && username === 'anonymous')) resolve({ root });
    else reject(new Error('Login incorrect'));
  });
  srv.on('disconnect', (data) => {
    // ftp-srv passes the remaining connection count too (not in its typings): parts go only when the client is fully away.
    const remaining = (data as { newConnectionCount?: number }).newConnectionCount;
    if (state.faults.deletePartsOnDisconnect && remaining === 0) void state.deleteParts();
  });
  const inner = (srv as unknown as { server: Server }).server;

  // A front listener hands sockets to ftp-srv, so the port can really be closed (ECONNREFUSED)
  // for the refuse and restart faults and reopened on the same number.
  const sockets = new Set<Socket>();
  let front: Server | undefined;
  let port = options.port ?? 0;
  let reopenTimer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const server = createServer({ pauseOnConnect: true }, (socket) => {
        state.stats.connections++;
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        inner.emit('connection', socket);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        front = server;
        resolve();
      });
    });

  const closeFront = async (dropClients: boolean): Promise<void> => {
    const server = front;
    front = undefined;
    if (dropClients) for (const s of sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  /** Closes the port until `untilMs`, then reopens it (a timer, so the caller does not wait). */
  const downUntil = async (untilMs: number, dropClients: boolean): Promise<void> => {
    await closeFront(dropClients);
    if (reopenTimer) clearTimeout(reopenTimer);
    reopenTimer = setTimeout(() => {
      reopenTimer = undefined;
      if (!stopped && !front) void listen().catch(() => undefined);
    }, Math.max(0, untilMs - Date.now()));
  };

  const setFaults = (patch: FaultPatch): FtpFaults => {
    const next = state.setFaults(patch);
    if (patch.refuseForMs !== undefined && patch.refuseForMs > 0) void downUntil(next.refuseUntilMs, false);
    return next;
  };

  await listen();
  if (state.faults.refuseUntilMs > Date.now()) void downUntil(state.faults.refuseUntilMs, false);

  const url = `${options.tls && options.implicitTls ? 'ftps' : 'ftp'}://127.0.0.1:${port}`;
  const api: Omit<FtpSimulator, 'controlUrl' | 'readyLine'> = {
    url,
    port,
    root,
    faults: () => state.faults,
    setFaults,
    clearFaults: () => state.clearFaults(),
    stats: () => structuredClone(state.stats),
    resetStats: () => state.resetStats(),
    deleteParts: () => state.deleteParts(),
    restart: async (downMs = 500) => {
      await downUntil(Date.now() + downMs, true);
      await new Promise((r) => setTimeout(r, downMs));
      for (let i = 0; i < 100 && !front && !stopped; i++) await new Promise((r) => setTimeout(r, 20));
    },
    stop: async () => {
      stopped = true;
      if (reopenTimer) clearTimeout(reopenTimer);
      await closeFront(true);
      await control?.close();
      await new Promise<void>((resolve) => inner.close(() => resolve()));
    },
  };

  const control = options.controlPort === false ? undefined : await startControlApi(api, options.controlPort ?? 0);
  const readyLine: Record<string, unknown> = {
    ready: true,
    sim: 'ftp',
    ftp: url,
    ...(control ? { control: control.url } : {}),
    root,
    user,
    tls: options.tls ? (options.implicitTls ? 'implicit' : 'explicit') : false,
    hash: options.hash ?? true,
  };
  return { ...api, controlUrl: control?.url, readyLine };
}

interface ControlApi {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The control API: `GET /faults`, `POST /faults` (a JSON patch, see faults.ts), `DELETE /faults`,
 * `GET /stats`, `DELETE /stats`, `POST /delete-parts`, `POST /restart?downMs=N`.
 */
async function startControlApi(sim: Omit<FtpSimulator, 'controlUrl' | 'readyLine'>, port: number): Promise<ControlApi> {
  const server: HttpServer = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    void (async () => {
      try {
        switch (route) {
          case 'GET /faults':
            return sendJson(res, 200, sim.faults());
          case 'POST /faults':
            return sendJson(res, 200, sim.setFaults(parseFaultPatch(await readControlJson(req))));
          case 'DELETE /faults':
            return sendJson(res, 200, sim.clearFaults());
          case 'GET /stats':
            return sendJson(res, 200, sim.stats());
          case 'DELETE /stats':
            sim.resetStats();
            return sendJson(res, 200, sim.stats());
          case 'POST /delete-parts':
            return sendJson(res, 200, { removed: await sim.deleteParts() });
          case 'POST /restart': {
            const downMs = Number(url.searchParams.get('downMs') ?? '500');
            await sim.restart(Number.isFinite(downMs) ? downMs : 500);
            return sendJson(res, 200, { restarted: true });
          }
          default:
            return sendJson(res, 404, { error: `no route ${route}` });
        }
      } catch (err) {
        return sendJson(res, 400, { error: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
