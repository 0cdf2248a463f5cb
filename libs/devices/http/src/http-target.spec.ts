import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Clock, type PermanentError, systemClock } from '@filesync/core';
import { caught, chunksOf, collect, describeTargetConformance, patternBytes, sha256Hex } from '@filesync/core/testing';
import { type HttpTarget, createHttpTarget } from './http-target';
import type { HttpTargetOptions, UploadAttempt } from './options';
import { type SimProcess, startSimProcess } from './test-support/flight-review-process';
import { ulogBytes } from './test-support/ulog-content';

let sim: SimProcess | undefined;
const simulator = async (): Promise<SimProcess> => (sim ??= await startSimProcess());
afterAll(async () => {
  await sim?.kill();
});

const temps: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

/**
 * The shared suite writes arbitrary bytes (no ULog header), which Flight Review rightly refuses.
 * So it runs against the generic form mode and the simulator's `/files` route, which stores any
 * file; the Flight Review form, the ULog check and the faults are covered by the tests below.
 * `collisionPolicies: []`: an upload site names files itself, so name-based tests are skipped.
 */
describeTargetConformance('http form upload (flight-review simulator, /files)', {
  collisionPolicies: [],
  async setup() {
    const s = await simulator();
    const target = createHttpTarget({ id: 'form', mode: 'form', url: `${s.http}/files`, fileField: 'file', spoolDir: await tempDir('fs-http-spool-') });
    return {
      target,
      readStored: async (location) => {
        const id = new URL(location).pathname.split('/').pop() ?? '';
        return readFile(join(s.root, 'files', id)).then((b) => new Uint8Array(b), () => undefined);
      },
      cleanup: async () => undefined,
    };
  },
});

/** Records every delay asked of it while keeping real time, so a test can check a Retry-After was honoured. */
function recordingClock(): Clock & { delays: number[] } {
  const delays: number[] = [];
  return { ...systemClock, delays, setTimeout: (fn, ms) => (delays.push(ms), systemClock.setTimeout(fn, ms)) };
}

describe('Flight Review target against the simulator', () => {
  let s: SimProcess;
  let target: HttpTarget | undefined;
  const attempts: UploadAttempt[] = [];

  beforeAll(async () => {
    s = await simulator();
  });
  afterEach(async () => {
    await target?.close();
    target = undefined;
    attempts.length = 0;
    await s.clearFaults();
  });

  async function open(extra: Partial<HttpTargetOptions> = {}): Promise<HttpTarget> {
    target = createHttpTarget({
      id: 'flight-review',
      mode: 'flight-review',
      url: s.http,
      fields: { email: 'pilot@example.org' },
      spoolDir: await tempDir('fs-http-spool-'),
      timeoutSec: 20,
      maxAttempts: 4,
      backoff: { initialMs: 10, maxMs: 50, factor: 2, jitter: 0 },
      onAttemptStart: (a) => void attempts.push(a),
      ...extra,
    });
    return target;
  }

  async function upload(t: HttpTarget, path: string, bytes: Uint8Array) {
    await t.write(path, 0, chunksOf(bytes));
    return t.commit(path, { size: bytes.length, sha256: sha256Hex(bytes) });
  }

  const logsWith = async (sha256: string) => (await s.logs()).filter((l) => l.sha256 === sha256);

  it('uploads a ULog with the Flight Review form and keeps the 302 Location as the receipt', async () => {
    const t = await open();
    const bytes = ulogBytes(200_000, 1);
    const receipt = await upload(t, 'logs/2026-11-25/flight.ulg', bytes);
    expect(receipt.outcome).toBe('committed');
    expect(receipt.location).toMatch(new RegExp(`^${s.http}/plot_app\\?log=[0-9a-f-]{36}$`));
    const [log] = await logsWith(sha256Hex(bytes));
    expect(log?.url).toBe(new URL(receipt.location).pathname + new URL(receipt.location).search);
    // The stored file is the source, byte for byte.
    expect(sha256Hex(new Uint8Array(await readFile(log!.path!)))).toBe(sha256Hex(bytes));
    expect(log?.fileName).toBe('flight.ulg');
    expect(log?.fields).toMatchObject({ description: 'flight.ulg', email: 'pilot@example.org', type: 'personal', source: 'filesync' });
    // The attempt was announced before the POST, with the key the server saw.
    expect(attempts).toHaveLength(1);
    expect(log?.idempotencyKey).toBe(attempts[0]?.key);
    expect(await t.stat('logs/2026-11-25/flight.ulg')).toEqual({ size: bytes.length });
  });

  it('takes the URL from the JSON answer when redirect=false, and reads the log back', async () => {
    const t = await open({ fields: { email: '', redirect: 'false', type: 'flightreport', public: 'true', rating: 'good', windSpeed: '3' } });
    const bytes = ulogBytes(5000, 2);
    const receipt = await upload(t, 'a.ulg', bytes);
    expect(receipt.location).toMatch(/\/plot_app\?log=/);
    expect(sha256Hex(await collect(t.read!(receipt.location)))).toBe(sha256Hex(bytes));
  });

  it('answers a repeated commit (reply lost before a crash) with the same URL, without a second POST', async () => {
    const t = await open();
    const bytes = ulogBytes(3000, 3);
    const first = await upload(t, 'twice.ulg', bytes);
    const again = await t.commit('twice.ulg', { size: bytes.length, sha256: sha256Hex(bytes) });
    expect(again).toEqual({ location: first.location, outcome: 'already-present' });
    expect(await logsWith(sha256Hex(bytes))).toHaveLength(1);
  });

  it('reports a non-ULog file rejected by the site as a permanent failure', async () => {
    const t = await open();
    const bytes = patternBytes(4000, 4);
    const err = await caught(() => upload(t, 'not-a-log.ulg', bytes));
    expect(err).toMatchObject({ kind: 'permanent', code: 'bad-request', detail: { status: 400 } });
    expect((err as PermanentError).message).toContain('Invalid File');
    expect(await logsWith(sha256Hex(bytes))).toHaveLength(0);
    expect(attempts).toHaveLength(1);
  });

  it('refuses a file over maxBytes at write, before anything is sent', async () => {
    const t = await open({ maxBytes: 1000 });
    const before = (await s.stats()).posts;
    const err = await caught(() => t.write('big.ulg', 0, chunksOf(ulogBytes(5000, 5), 512)));
    expect(err).toMatchObject({ kind: 'permanent', code: 'bad-request', detail: { maxBytes: 1000 } });
    expect((await s.stats()).posts).toBe(before);
  });

  it('fault 5xx: retries with backoff and uploads once', async () => {
    await s.addFault({ type: 'status', status: 500, times: 2 });
    const t = await open();
    const bytes = ulogBytes(10_000, 6);
    const receipt = await upload(t, 'five.ulg', bytes);
    expect(receipt.outcome).toBe('committed');
    expect(attempts.map((a) => a.try)).toEqual([1, 2, 3]);
    expect(new Set(attempts.map((a) => a.key)).size).toBe(1);
    expect(await logsWith(sha256Hex(bytes))).toHaveLength(1);
  });

  it('fault 5xx: gives up after maxAttempts with a transient error', async () => {
    await s.addFault({ type: 'status', status: 503, times: 10 });
    const t = await open({ maxAttempts: 3 });
    const err = await caught(() => upload(t, 'down.ulg', ulogBytes(1000, 7)));
    expect(err).toMatchObject({ kind: 'transient', code: 'busy', detail: { status: 503 } });
    expect(attempts).toHaveLength(3);
  });

  it('fault 429: waits the Retry-After the site asks for, then uploads', async () => {
    await s.addFault({ type: 'status', status: 429, retryAfterSec: 1 });
    const clock = recordingClock();
    const t = await open({ clock });
    const bytes = ulogBytes(2000, 8);
    const receipt = await upload(t, 'busy.ulg', bytes);
    expect(receipt.outcome).toBe('committed');
    // The backoff alone would have waited 10 ms; the only other timers are the 20 s POST time limits.
    expect(clock.delays.filter((ms) => ms < 20_000)).toEqual([1000]);
    expect(attempts).toHaveLength(2);
  });

  it('fault 429: a Retry-After beyond maxRetryAfterSec ends the commit as transient, carrying the delay', async () => {
    await s.addFault({ type: 'status', status: 429, retryAfterSec: 3600 });
    const t = await open({ maxRetryAfterSec: 60 });
    const err = await caught(() => upload(t, 'later.ulg', ulogBytes(2000, 9)));
    expect(err).toMatchObject({ kind: 'transient', code: 'busy', detail: { status: 429, retryAfterMs: 3_600_000 } });
    expect(attempts).toHaveLength(1);
  });

  it('fault 413 (answered before the body is read): permanent, and the upload stops early', async () => {
    await s.addFault({ type: 'status', status: 413 });
    const t = await open();
    const err = await caught(() => upload(t, 'huge.ulg', ulogBytes(8 * 1024 * 1024, 10)));
    expect(err).toMatchObject({ kind: 'permanent', code: 'bad-request', detail: { status: 413 } });
    expect(attempts).toHaveLength(1);
  });

  it('fault drop mid-body: retries on a new connection and uploads once', async () => {
    await s.addFault({ type: 'drop', afterBytes: 100_000 });
    const t = await open();
    const bytes = ulogBytes(1024 * 1024, 11);
    const receipt = await upload(t, 'dropped.ulg', bytes);
    expect(receipt.outcome).toBe('committed');
    expect(attempts).toHaveLength(2);
    expect(await logsWith(sha256Hex(bytes))).toHaveLength(1);
    expect((await s.stats()).dropped).toBeGreaterThanOrEqual(1);
  });

  it('fault slow accept within the time limit: the upload waits and succeeds', async () => {
    await s.addFault({ type: 'stall', afterBytes: 0, delayMs: 300 });
    const t = await open();
    const bytes = ulogBytes(512 * 1024, 12);
    expect((await upload(t, 'slow.ulg', bytes)).outcome).toBe('committed');
    expect(attempts).toHaveLength(1);
  });

  it('fault slow connection mid-body beyond the time limit: times out, retries, uploads once', async () => {
    await s.addFault({ type: 'stall', afterBytes: 64 * 1024, delayMs: 5000 });
    const t = await open({ timeoutSec: 0.5 });
    const bytes = ulogBytes(4 * 1024 * 1024, 13);
    const receipt = await upload(t, 'stalled.ulg', bytes);
    expect(receipt.outcome).toBe('committed');
    expect(attempts).toHaveLength(2);
    expect(await logsWith(sha256Hex(bytes))).toHaveLength(1);
  });

  it('fault slow link: a POST longer than timeoutSec goes through while it keeps making progress', async () => {
    // 40 MiB at 8 MiB/s takes about 5 s, well over the 3 s limit; the silence after the last byte
    // (what loopback socket buffers still hold, at most ~10 MiB) stays near 1 s.
    await s.addFault({ type: 'throttle', bytesPerSec: 8 * 1024 * 1024 });
    const t = await open({ timeoutSec: 3 });
    const bytes = ulogBytes(40 * 1024 * 1024, 19);
    const receipt = await upload(t, 'slow-link.ulg', bytes);
    expect(receipt.outcome).toBe('committed');
    expect(attempts).toHaveLength(1);
  });

  it('answer lost after the site stored the log: a lookup finds it instead of uploading a duplicate', async () => {
    await s.addFault({ type: 'lose-answer' });
    const t = await open({ lookupUrl: `${s.http}/lookup` });
    const bytes = ulogBytes(20_000, 14);
    const receipt = await upload(t, 'lost.ulg', bytes);
    const logs = await logsWith(sha256Hex(bytes));
    expect(logs).toHaveLength(1);
    expect(receipt.location).toContain(logs[0]!.id);
    expect(attempts).toHaveLength(1);
  });

  it('answer lost and no lookup: retries and leaves exactly one duplicate, never a lost upload', async () => {
    await s.addFault({ type: 'lose-answer' });
    const t = await open();
    const bytes = ulogBytes(20_000, 15);
    const receipt = await upload(t, 'dup.ulg', bytes);
    const logs = await logsWith(sha256Hex(bytes));
    expect(logs).toHaveLength(2);
    expect(logs.map((l) => l.url)).toContain(new URL(receipt.location).pathname + new URL(receipt.location).search);
  });

  it('after a restart, finds the log of an attempt whose answer never came (journal + lookup)', async () => {
    await s.addFault({ type: 'lose-answer' });
    const spoolDir = await tempDir('fs-http-spool-');
    const bytes = ulogBytes(30_000, 16);
    const expected = { size: bytes.length, sha256: sha256Hex(bytes) };
    // The first process has no lookup and a single try: its commit ends with the answer lost.
    const first = await open({ spoolDir, maxAttempts: 1 });
    await first.write('restart.ulg', 0, chunksOf(bytes));
    expect(await caught(() => first.commit('restart.ulg', expected))).toMatchObject({ kind: 'transient' });
    await first.close();
    // The next one (same spool directory, as after a restart) looks before it sends.
    const second = await open({ spoolDir, lookupUrl: `${s.http}/lookup` });
    const receipt = await second.commit('restart.ulg', expected);
    expect(receipt.outcome).toBe('already-present');
    expect(await logsWith(expected.sha256)).toHaveLength(1);
    expect(attempts).toHaveLength(1);
    expect(await readdir(spoolDir)).toEqual([expect.stringMatching(/\.done\.json$/)]);
  });

  it('keeps the keys of unanswered POSTs across a failed write, so the next commit still looks first', async () => {
    await s.addFault({ type: 'lose-answer' });
    const spoolDir = await tempDir('fs-http-spool-');
    const bytes = ulogBytes(10_000, 20);
    const expected = { size: bytes.length, sha256: sha256Hex(bytes) };
    const first = await open({ spoolDir, maxAttempts: 1 });
    await first.write('again.ulg', 0, chunksOf(bytes));
    expect(await caught(() => first.commit('again.ulg', expected))).toMatchObject({ kind: 'transient' });
    await first.close();
    const second = await open({ spoolDir, lookupUrl: `${s.http}/lookup` });
    async function* brokenSource(): AsyncIterable<Uint8Array> {
      yield bytes.subarray(0, 100);
      throw Object.assign(new Error('card pulled'), { code: 'EIO' });
    }
    expect(await caught(() => second.write('again.ulg', 0, brokenSource()))).toMatchObject({ kind: 'transient', code: 'device-gone' });
    await second.write('again.ulg', 0, chunksOf(bytes));
    expect((await second.commit('again.ulg', expected)).outcome).toBe('already-present');
    expect(await logsWith(expected.sha256)).toHaveLength(1);
  });

  it('rejects unknown or malformed Flight Review fields at construction, naming the field', async () => {
    expect(() => createHttpTarget({ id: 'x', mode: 'flight-review', url: s.http, spoolDir: tmpdir(), fields: { typo: '1' } })).toThrow(/fields\.typo/);
    expect(() => createHttpTarget({ id: 'x', mode: 'flight-review', url: s.http, spoolDir: tmpdir(), fields: { type: 'public' } })).toThrow(/fields\.type/);
  });

  it('cannot resume: partialSize is 0 and a write at an offset is a conflict', async () => {
    const t = await open();
    expect(t.features.canResume).toBe(false);
    await t.write('p.ulg', 0, chunksOf(ulogBytes(100, 17)));
    expect(await t.partialSize('p.ulg')).toBe(0);
    expect(await caught(() => t.write('p.ulg', 100, chunksOf(ulogBytes(10, 18))))).toMatchObject({ kind: 'transient', code: 'conflict' });
  });
});

describe('probe (filesync doctor): whether the upload site answers', () => {
  it('any answer below 500 is a site that is there; a 5xx or no server is its fault, classified', async () => {
    const { createServer } = await import('node:http');
    let status = 404;
    const server = createServer((_req, res) => res.writeHead(status).end('down for maintenance'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const spoolDir = await tempDir('fs-http-probe-');
    const target = createHttpTarget({ id: 'review', mode: 'flight-review', url: `http://127.0.0.1:${port}/upload`, spoolDir });
    const probe = (): Promise<void> => (target.probe ? target.probe() : Promise.reject(new Error('the HTTP target has no probe')));
    try {
      await expect(probe()).resolves.toBeUndefined();
      status = 503;
      await expect(probe()).rejects.toMatchObject({ kind: 'transient', message: expect.stringContaining('HTTP 503') });
      await new Promise((resolve) => server.close(resolve));
      await expect(probe()).rejects.toMatchObject({ kind: 'transient' });
    } finally {
      server.close();
      await target.close();
    }
  });
});
