import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FlightReviewSimulator, type FlightReviewSimulatorOptions, startFlightReviewSimulator } from './server';
import { ulogHeader } from './ulog-header';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function ulog(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + 7) & 0xff;
  out.set(ulogHeader(123n));
  return out;
}

function form(fields: Record<string, string>, file?: { field?: string; name?: string; bytes: Uint8Array }): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file) fd.append(file.field ?? 'filearg', new Blob([file.bytes]), file.name ?? 'flight.ulg');
  return fd;
}

const FR_FIELDS = { description: 'test flight', email: 'pilot@example.org' };

describe('Flight Review simulator (in process)', () => {
  let sim: FlightReviewSimulator | undefined;
  let root: string | undefined;
  afterEach(async () => {
    await sim?.close();
    if (root) await rm(root, { recursive: true, force: true });
    sim = root = undefined;
  });

  async function start(options: Partial<FlightReviewSimulatorOptions> = {}): Promise<FlightReviewSimulator> {
    root = await mkdtemp(join(tmpdir(), 'fs-fr-sim-'));
    sim = await startFlightReviewSimulator({ root, ...options });
    return sim;
  }

  const post = (s: FlightReviewSimulator, body: FormData, path = '/upload', headers: Record<string, string> = {}) =>
    fetch(`${s.http}${path}`, { method: 'POST', body, redirect: 'manual', headers });

  it('stores a ULog byte for byte and redirects to its /plot_app page', async () => {
    const s = await start();
    const bytes = ulog(100_000);
    const res = await post(s, form(FR_FIELDS, { bytes }), '/upload', { 'idempotency-key': 'k-1' });
    expect(res.status).toBe(302);
    const location = res.headers.get('location') ?? '';
    expect(location).toMatch(/^\/plot_app\?log=[0-9a-f-]{36}$/);
    const [log] = s.logs();
    expect(log).toMatchObject({ url: location, size: bytes.length, sha256: sha256(bytes), fileName: 'flight.ulg', fields: FR_FIELDS });
    expect(sha256(await readFile(log!.path!))).toBe(sha256(bytes));
    expect((await fetch(`${s.http}${location}`)).status).toBe(200);
    expect(sha256(new Uint8Array(await (await fetch(`${s.http}/download?log=${log!.id}`)).arrayBuffer()))).toBe(sha256(bytes));
    expect(await (await fetch(`${s.http}/lookup?key=k-1`)).json()).toEqual({ url: location });
    expect((await fetch(`${s.http}/lookup?key=other`)).status).toBe(404);
    expect(await readdir(join(root!, 'incoming'))).toEqual([]);
  });

  it('answers JSON {url} when redirect=false', async () => {
    const s = await start();
    const res = await post(s, form({ ...FR_FIELDS, redirect: 'false' }, { bytes: ulog(100) }));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { url: string }).url).toMatch(/^\/plot_app\?log=/);
  });

  it('refuses a file without the ULog magic with 400 Invalid File, and stores nothing', async () => {
    const s = await start();
    const res = await post(s, form(FR_FIELDS, { bytes: new TextEncoder().encode('not a log at all') }));
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('Invalid File');
    expect(s.logs()).toEqual([]);
    expect(await readdir(join(root!, 'incoming'))).toEqual([]);
  });

  it('validates the form fields, naming the bad one', async () => {
    const s = await start();
    const missing = await post(s, form({ email: 'x' }, { bytes: ulog(100) }));
    expect([missing.status, await missing.text()]).toEqual([400, 'missing field description']);
    const badType = await post(s, form({ ...FR_FIELDS, type: 'public' }, { bytes: ulog(100) }));
    expect(await badType.text()).toMatch(/field type/);
    const noFile = await post(s, form(FR_FIELDS, { field: 'file', bytes: ulog(100) }));
    expect(await noFile.text()).toBe('missing file part filearg');
  });

  it('refuses a body over the size limit with 400 before storing it, as Tornado does', async () => {
    const s = await start({ maxBytes: 10_000 });
    const res = await post(s, form(FR_FIELDS, { bytes: ulog(20_000) }));
    expect([res.status, await res.text()]).toEqual([400, 'Content-Length too long']);
    // Chunked (no Content-Length): refused once the count passes the limit.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(`${s.http}/upload`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=B', 'transfer-encoding': 'chunked' } });
      req.on('response', (r) => resolve(r.statusCode ?? 0));
      req.on('error', reject);
      req.write('--B\r\nContent-Disposition: form-data; name="filearg"; filename="a.ulg"\r\n\r\n');
      req.end(Buffer.alloc(20_000));
    });
    expect(chunked).toBe(400);
    expect(s.logs()).toEqual([]);
  });

  it('injects faults set through the control API, in order, then serves normally', async () => {
    const s = await start();
    const set = await fetch(`${s.control}/faults`, {
      method: 'POST',
      body: JSON.stringify([
        { type: 'status', status: 503, retryAfterSec: 7 },
        { type: 'status', status: 413 },
      ]),
    });
    expect(await set.json()).toEqual({ pending: 2 });
    const first = await post(s, form(FR_FIELDS, { bytes: ulog(1000) }));
    expect([first.status, first.headers.get('retry-after')]).toEqual([503, '7']);
    expect((await post(s, form(FR_FIELDS, { bytes: ulog(1000) }))).status).toBe(413);
    expect((await post(s, form(FR_FIELDS, { bytes: ulog(1000) }))).status).toBe(302);
    expect(await (await fetch(`${s.control}/stats`)).json()).toMatchObject({ posts: 3, stored: 1, rejected: { 503: 1, 413: 1 } });
    const bad = await fetch(`${s.control}/faults`, { method: 'POST', body: JSON.stringify({ type: 'status', status: 200 }) });
    expect([bad.status, ((await bad.json()) as { error: string }).error]).toEqual([400, 'fault.status: expected an integer in 400..599']);
  });

  it('drops the connection mid-body on a drop fault, and loses the answer on lose-answer', async () => {
    const s = await start({ faults: [{ type: 'drop', afterBytes: 5000 }, { type: 'lose-answer' }] });
    await expect(post(s, form(FR_FIELDS, { bytes: ulog(50_000) }))).rejects.toThrow();
    expect(s.stats().dropped).toBe(1);
    await expect(post(s, form(FR_FIELDS, { bytes: ulog(500) }), '/upload', { 'idempotency-key': 'lost' })).rejects.toThrow();
    // The log is stored all the same: the client just never heard of it.
    expect(s.logs().map((l) => l.idempotencyKey)).toEqual(['lost']);
  });

  it('answers for the site on a redirect fault (a captive portal): 302 to the other host, nothing stored', async () => {
    const s = await start({ faults: [{ type: 'redirect', location: 'http://portal.example/login?next=%2Fupload', times: 2 }] });
    for (let i = 0; i < 2; i++) {
      const res = await post(s, form(FR_FIELDS, { bytes: ulog(20_000) }));
      expect([res.status, res.headers.get('location')]).toEqual([302, 'http://portal.example/login?next=%2Fupload']);
    }
    expect(s.logs()).toEqual([]);
    expect(s.stats()).toMatchObject({ posts: 2, stored: 0, redirected: 2 });
    // The portal gone, the site stores the log and redirects to its own page.
    const res = await post(s, form(FR_FIELDS, { bytes: ulog(20_000) }));
    expect(res.headers.get('location')).toMatch(/^\/plot_app\?log=/);
    expect(s.logs()).toHaveLength(1);
    const bad = await fetch(`${s.control}/faults`, { method: 'POST', body: JSON.stringify({ type: 'redirect', location: '/relative' }) });
    expect([bad.status, ((await bad.json()) as { error: string }).error]).toEqual([400, 'fault.location: expected an absolute http(s) URL']);
  });

  it('stalls the body on a stall fault and then completes the upload', async () => {
    const s = await start({ faults: [{ type: 'stall', afterBytes: 0, delayMs: 200 }] });
    expect((await post(s, form(FR_FIELDS, { bytes: ulog(300_000) }))).status).toBe(302);
    expect(s.faults.pending()).toBe(0);
  });

  it('accepts any file on /files (generic form mode) with 201 and a Location', async () => {
    const s = await start();
    const bytes = new TextEncoder().encode('any bytes at all');
    const res = await post(s, form({ note: 'x' }, { field: 'upload', name: 'a.txt', bytes }), '/files');
    expect(res.status).toBe(201);
    const location = res.headers.get('location') ?? '';
    expect(new Uint8Array(await (await fetch(`${s.http}${location}`)).arrayBuffer())).toEqual(bytes);
  });

  it('only hashes in discard mode', async () => {
    const s = await start({ discard: true });
    const bytes = ulog(70_000);
    expect((await post(s, form(FR_FIELDS, { bytes }))).status).toBe(302);
    expect(s.logs()[0]).toMatchObject({ sha256: sha256(bytes), size: bytes.length, path: undefined });
    expect((await readdir(join(root!, 'logs'))).filter((f) => f.endsWith('.ulg'))).toEqual([]);
  });
});
