import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { join } from 'node:path';
import { FaultQueue, type FaultSpec, validateFault } from './faults';
import { boundaryOf } from './multipart-parser';
import { ConnectionGone, FormRejection, type ReceivedForm, receiveForm } from './receive-form';
import { hasUlogMagic } from './ulog-header';
import { closeServer, listenLocal, readControlJson } from '../shared/control-http';

/** Flight Review raises Tornado's body limit to 300 MiB (`max_buffer_size` in app/serve.py). */
export const FLIGHT_REVIEW_MAX_BYTES = 300 * 1024 * 1024;

export interface FlightReviewSimulatorOptions {
  /** Directory for stored logs (`logs/`) and generic uploads (`files/`); created when missing. */
  readonly root: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly controlPort?: number;
  /** Largest request body accepted; Flight Review's is 300 MiB. */
  readonly maxBytes?: number;
  /** Hash uploads instead of storing them (1 GiB memory tests); stored logs then have no bytes. */
  readonly discard?: boolean;
  /** Faults queued at start (the CLI flags land here). */
  readonly faults?: readonly FaultSpec[];
}

export interface StoredLog {
  readonly id: string;
  /** `/upload` is the Flight Review form; `/files` accepts any file (generic form mode). */
  readonly route: 'flight-review' | 'form';
  /** Path of the log's page, as the server announces it (`/plot_app?log=<id>` or `/files/<id>`). */
  readonly url: string;
  readonly fileName: string;
  readonly size: number;
  readonly sha256: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly idempotencyKey: string | undefined;
  /** Absolute path of the stored bytes, undefined in discard mode. */
  readonly path: string | undefined;
}

export interface SimulatorStats {
  posts: number;
  stored: number;
  rejected: Record<string, number>;
  dropped: number;
  /** Uploads a `redirect` fault answered for the site (a captive portal): nothing stored. */
  redirected: number;
}

export interface FlightReviewSimulator {
  /** `http://127.0.0.1:PORT` of the upload site. */
  readonly http: string;
  /** `http://127.0.0.1:PORT` of the control API. */
  readonly control: string;
  readonly faults: FaultQueue;
  logs(): readonly StoredLog[];
  stats(): SimulatorStats;
  close(): Promise<void>;
}

const FLIGHT_REVIEW_TYPES = ['personal', 'flightreport'];
const FLIGHT_REVIEW_BOOLEANS = ['allowForAnalysis', 'obfuscated', 'public', 'redirect'];

/**
 * Checks the Flight Review form the way upload.py reads it. Where the real server is lenient or
 * fails with 500 (a missing `description` is a KeyError there), the simulator answers 400 naming
 * the field, so a client bug shows up as a clear permanent error in tests.
 */
function checkFlightReviewForm(form: ReceivedForm): string | undefined {
  for (const name of ['description', 'email']) if (form.fields[name] === undefined) return `missing field ${name}`;
  const type = form.fields['type'];
  if (type !== undefined && !FLIGHT_REVIEW_TYPES.includes(type)) return `field type must be personal or flightreport, got ${type}`;
  for (const name of FLIGHT_REVIEW_BOOLEANS) {
    const v = form.fields[name];
    if (v !== undefined && v !== 'true' && v !== 'false') return `field ${name} must be true or false, got ${v}`;
  }
  const windSpeed = form.fields['windSpeed'];
  if (windSpeed !== undefined && !/^-?\d+$/.test(windSpeed)) return `field windSpeed must be an integer, got ${windSpeed}`;
  if (!form.file || form.file.field !== 'filearg') return 'missing file part filearg';
  // upload.py: `get_payload_partial(len(ULog.HEADER_BYTES)) != ULog.HEADER_BYTES` → 400 'Invalid File'.
  if (!hasUlogMagic(form.file.head)) return 'Invalid File';
  return undefined;
}

function send(res: ServerResponse, status: number, body: string | object, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Starts the simulated Flight Review site and its control API on 127.0.0.1. */
export async function startFlightReviewSimulator(options: FlightReviewSimulatorOptions): Promise<FlightReviewSimulator> {
  const maxBytes = options.maxBytes ?? FLIGHT_REVIEW_MAX_BYTES;
  const logsDir = join(options.root, 'logs');
  const filesDir = join(options.root, 'files');
  const incomingDir = join(options.root, 'incoming');
  await Promise.all([logsDir, filesDir, incomingDir].map((d) => mkdir(d, { recursive: true })));

  const faults = new FaultQueue();
  for (const f of options.faults ?? []) faults.add(f);
  const logs = new Map<string, StoredLog>();
  const timers = new Set<NodeJS.Timeout>();
  const stats: SimulatorStats = { posts: 0, stored: 0, rejected: {}, dropped: 0, redirected: 0 };

  const reject = (res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void => {
    stats.rejected[status] = (stats.rejected[status] ?? 0) + 1;
    send(res, status, message, headers);
  };

  async function store(route: StoredLog['route'], form: ReceivedForm, req: IncomingMessage): Promise<StoredLog> {
    const file = form.file!;
    const id = randomUUID();
    const dir = route === 'flight-review' ? logsDir : filesDir;
    const path = file.tmpPath && join(dir, route === 'flight-review' ? `${id}.ulg` : id);
    if (file.tmpPath && path) await rename(file.tmpPath, path);
    const key = req.headers['idempotency-key'];
    const log: StoredLog = {
      id,
      route,
      url: route === 'flight-review' ? `/plot_app?log=${id}` : `/files/${id}`,
      fileName: file.fileName,
      size: file.size,
      sha256: file.sha256,
      fields: form.fields,
      idempotencyKey: typeof key === 'string' ? key : undefined,
      path,
    };
    await writeFile(join(dir, `${id}.json`), JSON.stringify(log));
    logs.set(id, log);
    stats.stored += 1;
    return log;
  }

  async function handleUpload(req: IncomingMessage, res: ServerResponse, route: StoredLog['route']): Promise<void> {
    stats.posts += 1;
    const fault = faults.take();
    // A proxy in front of the site answers 413 from the headers alone; Node drains the unread body.
    if (fault?.type === 'status' && fault.status === 413) return reject(res, 413, 'Request Entity Too Large');
    // A captive portal answers before the site sees anything; Node drains the unread body.
    if (fault?.type === 'redirect') {
      stats.redirected += 1;
      return send(res, 302, '', { location: fault.location });
    }
    const length = Number(req.headers['content-length']);
    // Tornado answers 400 "Content-Length too long" before reading a body over max_body_size.
    if (Number.isFinite(length) && length > maxBytes) return reject(res, 400, 'Content-Length too long');
    const boundary = boundaryOf(req.headers['content-type']);
    if (!boundary) return reject(res, 400, 'expected a multipart/form-data body');
    const tmpPath = options.discard ? undefined : join(incomingDir, randomUUID());
    let form: ReceivedForm;
    try {
      form = await receiveForm(req, { boundary, maxBytes, tmpPath, fault, timers });
    } catch (err) {
      if (err instanceof FormRejection) return reject(res, err.status, err.message);
      if (err instanceof ConnectionGone) {
        stats.dropped += 1;
        return;
      }
      throw err;
    }
    if (fault?.type === 'status') {
      if (form.file?.tmpPath) await rm(form.file.tmpPath, { force: true });
      const headers: Record<string, string> = fault.retryAfterSec === undefined ? {} : { 'retry-after': String(fault.retryAfterSec) };
      return reject(res, fault.status, `injected ${fault.status}`, headers);
    }
    const problem = route === 'flight-review' ? checkFlightReviewForm(form) : form.file ? undefined : 'missing file part';
    if (problem) {
      if (form.file?.tmpPath) await rm(form.file.tmpPath, { force: true });
      return reject(res, 400, problem);
    }
    const log = await store(route, form, req);
    if (fault?.type === 'lose-answer') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        req.socket.destroy();
      }, fault.delayMs ?? 0);
      timers.add(timer);
      return;
    }
    if (route === 'form') return send(res, 201, { url: log.url }, { location: log.url });
    // upload.py: redirect unless `redirect=false` (or the source is QGroundControl and no `redirect` field).
    const redirect = form.fields['redirect'] !== undefined ? form.fields['redirect'] === 'true' : form.fields['source'] !== 'QGroundControl';
    if (redirect) return send(res, 302, '', { location: log.url });
    return send(res, 200, { url: log.url });
  }

  function serveStored(res: ServerResponse, id: string | null): void {
    const log = id === null ? undefined : logs.get(id);
    if (!log) return send(res, 404, 'no such log');
    if (!log.path) return send(res, 410, 'stored in discard mode');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': log.size });
    createReadStream(log.path).pipe(res);
  }

  const site = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    const run = async (): Promise<void> => {
      if (route === 'POST /upload') return handleUpload(req, res, 'flight-review');
      if (route === 'POST /files') return handleUpload(req, res, 'form');
      if (route === 'GET /plot_app') {
        const log = logs.get(url.searchParams.get('log') ?? '');
        return log ? send(res, 200, `log ${log.id}: ${log.fileName}`) : send(res, 404, 'no such log');
      }
      if (route === 'GET /download') return serveStored(res, url.searchParams.get('log'));
      if (req.method === 'GET' && url.pathname.startsWith('/files/')) return serveStored(res, url.pathname.slice('/files/'.length));
      // Not a Flight Review endpoint: a lookup by the Idempotency-Key a client sent, so a client that
      // crashed mid-POST can find its log instead of uploading a duplicate (see device-http README).
      if (route === 'GET /lookup') {
        const key = url.searchParams.get('key');
        const log = [...logs.values()].find((l) => key !== null && l.idempotencyKey === key);
        return log ? send(res, 200, { url: log.url }) : send(res, 404, { error: 'no log with that key' });
      }
      if (route === 'GET /' || route === 'GET /upload') return send(res, 200, 'Flight Review simulator: POST /upload (multipart, field filearg)');
      return send(res, 404, 'not found');
    };
    run().catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, (err as Error).message);
      else res.destroy();
    });
  });

  const control = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    const run = async (): Promise<void> => {
      if (route === 'GET /faults') return send(res, 200, { pending: faults.pending() });
      if (route === 'POST /faults') {
        const body = await readControlJson(req);
        const specs = Array.isArray(body) ? body : [body];
        for (const spec of specs) validateFault(spec);
        for (const spec of specs as FaultSpec[]) faults.add(spec);
        return send(res, 200, { pending: faults.pending() });
      }
      if (route === 'DELETE /faults') {
        faults.clear();
        return send(res, 200, { pending: 0 });
      }
      if (route === 'GET /logs') return send(res, 200, [...logs.values()]);
      if (route === 'GET /stats') return send(res, 200, stats);
      return send(res, 404, { error: `no control route ${route}` });
    };
    run().catch((err: unknown) => send(res, 400, { error: (err as Error).message }));
  });

  const http = await listenLocal(site, options.port ?? 0);
  const controlUrl = await listenLocal(control, options.controlPort ?? 0);
  return {
    http,
    control: controlUrl,
    faults,
    logs: () => [...logs.values()],
    stats: () => structuredClone(stats),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all([closeServer(site), closeServer(control)]);
    },
  };
}
