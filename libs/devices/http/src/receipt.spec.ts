import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { caught, chunksOf, sha256Hex } from '@filesync/core/testing';
import { type HttpTarget, createHttpTarget } from './http-target';
import { type SimProcess, startSimProcess } from './test-support/flight-review-process';
import { ulogBytes } from './test-support/ulog-content';

/**
 * What counts as proof of delivery (issue 17 item 2), against real loopback servers: the Flight
 * Review simulator, and a "front" server on 127.0.0.1 that stands where the site should be — a
 * captive portal sending every request to its login page on another host ([::1]), or a site
 * answering something other than Flight Review's documented success.
 */

type Answer = (req: IncomingMessage, res: ServerResponse, port: number) => void;

interface Front {
  readonly url: string;
  readonly port: number;
  posts: number;
  answer: Answer;
  close(): Promise<void>;
}

async function startFront(answer: Answer): Promise<Front> {
  const servers: Server[] = [];
  const front: Front = {
    url: '',
    port: 0,
    posts: 0,
    answer,
    close: () => Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined),
  };
  const server = createServer((req, res) => {
    if (req.method === 'POST') front.posts += 1;
    front.answer(req, res, front.port);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  Object.assign(front, { url: `http://127.0.0.1:${port}`, port });
  return front;
}

/** Reads the request body to its end, then answers. */
const answerWith =
  (status: number, headers: Record<string, string>, body = ''): Answer =>
  (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(status, headers).end(body));
  };

/** Forwards the request to the simulator unchanged: the portal once the user has logged in. */
const forwardTo =
  (sim: SimProcess): Answer =>
  (req, res) => {
    const upstream = request(new URL(req.url ?? '/', sim.http), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };

let sim: SimProcess;
let front: Front | undefined;
let target: HttpTarget | undefined;
const temps: string[] = [];

beforeAll(async () => {
  sim = await startSimProcess();
});
afterEach(async () => {
  await target?.close();
  target = undefined;
  await front?.close();
  front = undefined;
});
afterAll(async () => {
  await sim.kill();
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

async function flightReviewAt(url: string): Promise<HttpTarget> {
  const spoolDir = await mkdtemp(join(tmpdir(), 'fs-http-receipt-'));
  temps.push(spoolDir);
  target = createHttpTarget({ id: 'fr', mode: 'flight-review', url, spoolDir, maxAttempts: 2, timeoutSec: 20, backoff: { initialMs: 5, maxMs: 10, factor: 2, jitter: 0 } });
  return target;
}

async function upload(t: HttpTarget, path: string, bytes: Uint8Array) {
  await t.write(path, 0, chunksOf(bytes));
  return t.commit(path, { size: bytes.length, sha256: sha256Hex(bytes) });
}

describe('Flight Review receipts: only a log page on the configured site proves delivery', () => {
  it("a captive portal's 302 to another host is not a delivery: transient, retried, no receipt; after login the log reaches the site", async () => {
    front = await startFront((req, res, port) => answerWith(302, { location: `http://[::1]:${port}/login?continue=${encodeURIComponent(req.url ?? '/')}` })(req, res, port));
    const t = await flightReviewAt(front.url);
    const bytes = ulogBytes(30_000, 7);
    const err = await caught(() => upload(t, 'portal.ulg', bytes));
    expect(err).toMatchObject({ kind: 'transient', code: 'disconnected' });
    expect((err as Error).message).toContain('[::1]');
    expect((err as Error).message).toMatch(/not delivered/);
    expect(front.posts).toBe(2); // retried with backoff up to maxAttempts, then handed back to the pipeline's backoff
    expect(await t.stat('portal.ulg')).toBeUndefined(); // no receipt, so nothing may delete the source
    expect((await sim.logs()).filter((l) => l.sha256 === sha256Hex(bytes))).toEqual([]);

    front.answer = forwardTo(sim); // the portal lets traffic through
    const receipt = await upload(t, 'portal.ulg', bytes);
    expect(receipt.location).toMatch(new RegExp(`^${front.url}/plot_app\\?log=[0-9a-f-]{36}$`));
    expect((await sim.logs()).filter((l) => l.sha256 === sha256Hex(bytes))).toHaveLength(1);
  });

  it('a JSON url on another host is not a delivery either', async () => {
    front = await startFront((req, res, port) => answerWith(200, { 'content-type': 'application/json' }, JSON.stringify({ url: `http://[::1]:${port}/plot_app?log=abc` }))(req, res, port));
    const t = await flightReviewAt(front.url);
    const err = await caught(() => upload(t, 'json.ulg', ulogBytes(2000, 1)));
    expect(err).toMatchObject({ kind: 'transient', code: 'disconnected' });
  });

  it('an http:// site that redirects to https:// is a config error that says which url to set', async () => {
    front = await startFront((req, res, port) => answerWith(301, { location: `https://127.0.0.1:${port}/upload` })(req, res, port));
    const t = await flightReviewAt(front.url);
    const err = await caught(() => upload(t, 'tls.ulg', ulogBytes(2000, 2)));
    expect(err).toMatchObject({ kind: 'permanent', code: 'bad-request', detail: { field: 'url' } });
    expect((err as Error).message).toContain(`set the target's url to https://127.0.0.1:${front.port}`);
    expect(front.posts).toBe(1);
  });

  it('a redirect on the same site to a page that is not a log page (a login form) is an error naming the path', async () => {
    front = await startFront(answerWith(302, { location: '/login' }));
    const t = await flightReviewAt(front.url);
    const err = await caught(() => upload(t, 'login.ulg', ulogBytes(2000, 3)));
    expect(err).toMatchObject({ kind: 'permanent', code: 'unsupported' });
    expect((err as Error).message).toContain('/login');
  });

  it('a 200 page without a log URL (a portal answering with its own HTML) is not a delivery', async () => {
    front = await startFront(answerWith(200, { 'content-type': 'text/html' }, '<html>Please log in</html>'));
    const t = await flightReviewAt(front.url);
    const err = await caught(() => upload(t, 'html.ulg', ulogBytes(2000, 4)));
    expect(err).toMatchObject({ kind: 'permanent', code: 'unsupported' });
  });

  it("Flight Review's own answers are delivery: 302 to /plot_app?log=<id> on the site", async () => {
    const bytes = ulogBytes(4000, 5);
    const receipt = await upload(await flightReviewAt(sim.http), 'ok.ulg', bytes);
    const [log] = (await sim.logs()).filter((l) => l.sha256 === sha256Hex(bytes));
    expect(receipt.location).toBe(`${sim.http}${log?.url}`);
  });
});
