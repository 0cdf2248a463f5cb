import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, ListMultipartUploadsCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { type CommitReceipt, type ExpectedContent, type FilesyncError, type RunningSimulator, isFilesyncError, startSimulator } from '@filesync/core';
import { openMultipartRecords } from '@filesync/store';
import { afterEach, describe, expect, it } from 'vitest';
import { createS3Target, type S3Target } from './s3-target';
import type { S3TargetOptions } from './options';
import { MIB, chunks, content, tempCatalog, upload } from './testing/fixture';

/**
 * The real S3 target (real SQLite catalog for its part records) against the S3 simulator
 * (simulators/s3) as a child process on 127.0.0.1, with the simulator's faults switched on through
 * its control API. Each test has its own simulator, root and catalog (parallel-safe); every process
 * started is stopped in afterEach.
 */

const ACCESS_KEY = 'sim-target-key';
const SECRET_KEY = 'sim-target-secret';
const BUCKET = 'fleet-bucket';
const PART = 5 * MIB;

interface S3Ready {
  readonly s3: string;
  readonly control: string;
  readonly region: string;
}

interface SimState {
  readonly requests: Record<string, number>;
  readonly bytesReceived: Record<string, number>;
  readonly errors: Record<string, number>;
  readonly faultsFired: Record<string, number>;
  readonly uploadsInProgress: readonly { bucket: string; key: string; uploadId: string; parts: number; bytes: number }[];
  /** UploadPart bodies arriving now. */
  readonly partsReceiving: readonly { key: string; uploadId: string; partNumber: number; received: number; declared: number | null }[];
}

interface Sim {
  readonly proc: RunningSimulator<S3Ready>;
  readonly ready: S3Ready;
  client(): S3Client;
  setFaults(patch: Record<string, number | null>): Promise<void>;
  state(): Promise<SimState>;
}

const sims: RunningSimulator<S3Ready>[] = [];
const clients: S3Client[] = [];
const targets: S3Target[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(targets.splice(0).map((t) => t.close().catch(() => undefined)));
  for (const s of sims.splice(0)) await s.stop('SIGKILL');
  for (const c of cleanups.splice(0)) await c();
});

async function control(ready: S3Ready, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${ready.control}${path}`, {
    method,
    signal: AbortSignal.timeout(10_000),
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const json = (await res.json()) as unknown;
  if (!res.ok) throw new Error(`control ${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

async function startSim(root: string): Promise<Sim> {
  const proc = await startSimulator<S3Ready>('s3', ['--port', '0', '--root', root, '--no-seed', '--access-key', ACCESS_KEY, '--secret-key', SECRET_KEY], {
    from: 'source',
    timeoutMs: 20_000,
  });
  sims.push(proc);
  const { ready } = proc;
  return {
    proc,
    ready,
    client: () => {
      const c = new S3Client({ endpoint: ready.s3, region: ready.region, forcePathStyle: true, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } });
      clients.push(c);
      return c;
    },
    setFaults: async (patch) => void (await control(ready, 'POST', '/faults', patch)),
    state: async () => (await control(ready, 'GET', '/state')) as SimState,
  };
}

/** A fresh simulator root and catalog, the bucket created. */
async function setUp(): Promise<{ sim: Sim; root: string; catalogPath: string }> {
  const root = await mkdtemp(join(tmpdir(), 'fs-s3-simtarget-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const catalog = await tempCatalog();
  cleanups.push(() => catalog.cleanup());
  const sim = await startSim(root);
  await sim.client().send(new CreateBucketCommand({ Bucket: BUCKET }));
  return { sim, root, catalogPath: catalog.path };
}

/** The target as the agent builds it, against this simulator; the stale-upload sweep is run now, before any fault is set. */
async function openTarget(sim: Sim, catalogPath: string, overrides: Partial<S3TargetOptions> = {}): Promise<S3Target> {
  const target = createS3Target({
    id: 's3',
    endpoint: sim.ready.s3,
    region: sim.ready.region,
    bucket: BUCKET,
    prefix: 'fleet/',
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
    partSize: PART,
    // One part at a time unless a spec asks for more: the fault specs cut after N recorded parts.
    partConcurrency: 1,
    multipartThreshold: 6 * MIB,
    collision: 'rename',
    staleUploadMs: 3600_000,
    timeoutMs: 30_000,
    records: openMultipartRecords(catalogPath),
    ...overrides,
  });
  targets.push(target);
  await target.swept;
  return target;
}

/**
 * The uploader's loop in short: resume from `partialSize`, write, commit; a TransientError means
 * "try again" (bounded: `maxTries` rounds), anything else fails the test.
 */
async function deliver(target: S3Target, path: string, bytes: Uint8Array, expected: ExpectedContent, maxTries = 8): Promise<{ receipt: CommitReceipt; transient: FilesyncError[]; froms: number[] }> {
  const transient: FilesyncError[] = [];
  const froms: number[] = [];
  for (let i = 0; i < maxTries; i++) {
    try {
      froms.push(await target.partialSize(path));
      return { receipt: (await upload(target, path, bytes, expected)).receipt, transient, froms };
    } catch (err) {
      if (!isFilesyncError(err)) throw new Error(`${path}: round ${i + 1} failed with an unclassified ${String(err)} (${JSON.stringify(err)})`, { cause: err });
      if (err.kind !== 'transient') throw err;
      transient.push(err);
    }
  }
  throw new Error(`${path}: not delivered in ${maxTries} rounds: ${transient.map((e) => `${e.code}: ${e.message}`).join(' | ')}`);
}

/** sha256 of the object as another client reads it back (GetObject). */
async function sha256Of(sim: Sim, key: string): Promise<string> {
  const got = await sim.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return createHash('sha256')
    .update(await got.Body!.transformToByteArray())
    .digest('hex');
}

async function openUploads(sim: Sim): Promise<string[]> {
  return ((await sim.client().send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))).Uploads ?? []).map((u) => `${u.Key}:${u.UploadId}`);
}

/** The data as 256 KiB chunks; once the catalog holds `afterParts` acknowledged parts of `path`, `then` runs (once). */
async function* watched(catalogPath: string, path: string, bytes: Uint8Array, afterParts: number, then: () => Promise<void>): AsyncGenerator<Uint8Array> {
  const records = openMultipartRecords(catalogPath);
  let fired = false;
  try {
    for await (const chunk of chunks(bytes)) {
      if (!fired && (records.get('s3', path)?.parts.length ?? 0) >= afterParts) {
        fired = true;
        await then();
      }
      yield chunk;
    }
  } finally {
    records.close();
  }
}

function uploadIdOf(catalogPath: string, path: string): string | null | undefined {
  const records = openMultipartRecords(catalogPath);
  try {
    return records.get('s3', path)?.uploadId;
  } finally {
    records.close();
  }
}

describe('S3 target against the S3 simulator (127.0.0.1): resume and faults', () => {
  it('a connection dropped mid-part: the upload goes on from the recorded parts, byte-identical, at most one part re-sent', async () => {
    const { sim, catalogPath } = await setUp();
    const target = await openTarget(sim, catalogPath, { maxAttempts: 1 });
    const { bytes, expected } = content(12 * MIB + 4321);
    // Part 1 acknowledged and recorded, then the simulator cuts part 2's connection 1 MiB into its body,
    // while the simulator's own file write is in flight (which once crashed it: receive-body.ts).
    const cut = watched(catalogPath, 'drop/video.bin', bytes, 1, () => sim.setFaults({ dropPartAfterBytes: MIB }));
    const err = await target.write('drop/video.bin', 0, cut, { expected }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFilesyncError(err) && err.kind).toBe('transient');
    expect((await sim.state()).faultsFired).toMatchObject({ dropPartTimes: 1 });
    const uploadId = uploadIdOf(catalogPath, 'drop/video.bin');
    expect(uploadId).toBeTruthy();

    const { receipt, froms } = await deliver(target, 'drop/video.bin', bytes, expected);
    expect(receipt).toEqual({ location: 'drop/video.bin', outcome: 'committed' });
    // Continued from part 2 on the same upload, not started again.
    expect(froms).toEqual([PART]);
    const state = await sim.state();
    expect(state.requests['CreateMultipartUpload']).toBe(1);
    expect(await sha256Of(sim, 'fleet/drop/video.bin')).toBe(expected.sha256);
    const received = state.bytesReceived[`${BUCKET}/fleet/drop/video.bin`] ?? 0;
    expect(received).toBeGreaterThan(bytes.length);
    expect(received - bytes.length).toBeLessThanOrEqual(PART);
    expect(await openUploads(sim)).toEqual([]);
  }, 60_000);

  it('SlowDown 503s and 500 InternalErrors for the next requests: retried (SDK, then the uploader on a TransientError) until delivered', async () => {
    const { sim, catalogPath } = await setUp();
    const target = await openTarget(sim, catalogPath);
    const { bytes, expected } = content(11 * MIB);
    await sim.setFaults({ slowDownTimes: 4, internalErrorTimes: 4 });
    const { receipt, transient } = await deliver(target, 'busy/big.bin', bytes, expected, 10);
    expect(receipt).toEqual({ location: 'busy/big.bin', outcome: 'committed' });
    // Whatever reached the uploader was a retryable "busy", nothing else.
    for (const e of transient) expect([e.kind, e.code]).toEqual(['transient', 'busy']);
    const state = await sim.state();
    expect(state.faultsFired).toMatchObject({ slowDownTimes: 4, internalErrorTimes: 4 });
    expect(state.errors).toMatchObject({ SlowDown: 4, InternalError: 4 });
    expect(await sha256Of(sim, 'fleet/busy/big.bin')).toBe(expected.sha256);

    // A small file (one PUT) through the same storm.
    await sim.setFaults({ slowDownTimes: 3, internalErrorTimes: 3 });
    const small = content(200_000);
    expect((await deliver(target, 'busy/small.bin', small.bytes, small.expected, 10)).receipt).toEqual({ location: 'busy/small.bin', outcome: 'committed' });
    expect(await sha256Of(sim, 'fleet/busy/small.bin')).toBe(small.expected.sha256);
    expect(await openUploads(sim)).toEqual([]);
  }, 90_000);

  it('a 200 with an <Error> body on CompleteMultipartUpload is not delivery; the retry completes', async () => {
    const { sim, catalogPath } = await setUp();
    const target = await openTarget(sim, catalogPath, { maxAttempts: 1 });
    const { bytes, expected } = content(11 * MIB);
    await target.write('rgw/e.bin', 0, chunks(bytes), { expected });
    await sim.setFaults({ completeErrorBodyTimes: 1 });
    const err = await target.commit('rgw/e.bin', expected).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ kind: 'transient', code: 'busy' });
    expect((await sim.state()).faultsFired).toMatchObject({ completeErrorBodyTimes: 1 });
    expect(await target.stat('rgw/e.bin')).toBeUndefined();
    expect(await target.partialSize('rgw/e.bin')).toBe(bytes.length);

    const { receipt, froms } = await deliver(target, 'rgw/e.bin', bytes, expected);
    expect(receipt).toEqual({ location: 'rgw/e.bin', outcome: 'committed' });
    expect(froms).toEqual([bytes.length]);
    const state = await sim.state();
    expect(state.requests['CompleteMultipartUpload']).toBe(2);
    expect(state.requests['UploadPart']).toBe(3);
    expect(await sha256Of(sim, 'fleet/rgw/e.bin')).toBe(expected.sha256);
    expect(await openUploads(sim)).toEqual([]);
  }, 60_000);

  it('the simulator forgets the upload (NoSuchUpload): a new upload starts and completes, none left open', async () => {
    const { sim, catalogPath } = await setUp();
    const target = await openTarget(sim, catalogPath, { maxAttempts: 1 });
    const { bytes, expected } = content(12 * MIB);
    const cut = watched(catalogPath, 'lost/f.bin', bytes, 1, () => sim.setFaults({ forgetUploadTimes: 1 }));
    const err = await target.write('lost/f.bin', 0, cut, { expected }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ kind: 'transient', code: 'conflict' });
    expect((await sim.state()).faultsFired).toMatchObject({ forgetUploadTimes: 1 });
    // The catalog dropped the forgotten upload: the file starts again from 0.
    expect(uploadIdOf(catalogPath, 'lost/f.bin')).toBeUndefined();
    expect(await target.partialSize('lost/f.bin')).toBe(0);

    const { receipt, froms } = await deliver(target, 'lost/f.bin', bytes, expected);
    expect(receipt).toEqual({ location: 'lost/f.bin', outcome: 'committed' });
    expect(froms).toEqual([0]);
    const state = await sim.state();
    expect(state.requests['CreateMultipartUpload']).toBe(2);
    expect(await sha256Of(sim, 'fleet/lost/f.bin')).toBe(expected.sha256);
    expect(await openUploads(sim)).toEqual([]);
  }, 60_000);

  it('a wrong ETag for a part is caught: the part is not recorded, it is sent again, and only then is the upload delivered', async () => {
    const { sim, catalogPath } = await setUp();
    const target = await openTarget(sim, catalogPath, { maxAttempts: 1 });
    const { bytes, expected } = content(12 * MIB);
    const cut = watched(catalogPath, 'etag/w.bin', bytes, 1, () => sim.setFaults({ wrongEtagTimes: 1 }));
    const err = await target.write('etag/w.bin', 0, cut, { expected }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ kind: 'transient', code: 'disconnected' });
    expect((err as Error).message).toContain('not the MD5 of the bytes sent');
    expect((await sim.state()).faultsFired).toMatchObject({ wrongEtagTimes: 1 });
    // Part 2 was answered with an ETag that does not prove its bytes: only part 1 counts.
    expect(await target.partialSize('etag/w.bin')).toBe(PART);
    // Not delivered while a part is unproven.
    expect(await target.commit('etag/w.bin', expected).then(() => 'delivered', (e: unknown) => (e as FilesyncError).code)).toBe('conflict');
    expect(await target.stat('etag/w.bin')).toBeUndefined();

    const { receipt, froms } = await deliver(target, 'etag/w.bin', bytes, expected);
    expect(receipt).toEqual({ location: 'etag/w.bin', outcome: 'committed' });
    expect(froms).toEqual([PART]);
    expect(await sha256Of(sim, 'fleet/etag/w.bin')).toBe(expected.sha256);
    expect(await openUploads(sim)).toEqual([]);
  }, 60_000);

  it('a wrong ETag for a single PUT: the unproven object is removed, and the retry sends it again rather than taking it as present', async () => {
    const { sim, catalogPath } = await setUp();
    const target = await openTarget(sim, catalogPath, { maxAttempts: 1 });
    const { bytes, expected } = content(MIB + 17);
    await sim.setFaults({ wrongEtagTimes: 1 });
    const { receipt, transient } = await deliver(target, 'etag/small.jpg', bytes, expected);
    expect(transient.map((e) => e.code)).toEqual(['disconnected']);
    expect(receipt).toEqual({ location: 'etag/small.jpg', outcome: 'committed' });
    const state = await sim.state();
    expect(state.faultsFired).toMatchObject({ wrongEtagTimes: 1 });
    // The refused one, the one placed, and the conditional proof (refused) after it.
    expect(state.requests['PutObject']).toBe(3);
    expect(await sha256Of(sim, 'fleet/etag/small.jpg')).toBe(expected.sha256);
  }, 60_000);

  it('a single PUT answered with the MD5 of our bytes is proven without a HEAD after it; once If-None-Match is proven honoured, a small file is one request', async () => {
    const { sim, catalogPath } = await setUp();
    const target = await openTarget(sim, catalogPath, { maxAttempts: 1 });
    // Counters from here: openTarget's sweep and the bucket's creation are not the file's.
    await control(sim.ready, 'DELETE', '/state');
    const first = content(64 * 1024 + 5);
    expect((await deliver(target, 'proof/one.bin', first.bytes, first.expected)).receipt).toEqual({ location: 'proof/one.bin', outcome: 'committed' });
    // The HEAD decides the collision policy; then the same bytes go again, conditionally, and the
    // simulator's refusal proves that a conditional PUT can stand in for the HEAD.
    expect((await sim.state()).requests).toEqual({ HeadObject: 1, PutObject: 2 });
    expect((await sim.state()).errors['PreconditionFailed']).toBe(1);
    const more = ['two.bin', 'three.bin'].map((name, i) => ({ name, ...content(32 * 1024 + i) }));
    for (const { name, bytes, expected } of more) {
      expect((await deliver(target, `proof/${name}`, bytes, expected)).receipt).toEqual({ location: `proof/${name}`, outcome: 'committed' });
    }
    expect((await sim.state()).requests).toEqual({ HeadObject: 1, PutObject: 4 });
    for (const { name, expected } of [{ name: 'one.bin', expected: first.expected }, ...more]) expect(await sha256Of(sim, `fleet/proof/${name}`)).toBe(expected.sha256);
  }, 60_000);

  it('a store that refuses If-None-Match (501 NotImplemented) is asked once per run: after that each small file is a HEAD and a PUT', async () => {
    const { sim, catalogPath } = await setUp();
    const target = await openTarget(sim, catalogPath, { maxAttempts: 1 });
    await sim.setFaults({ conditionalRefusedTimes: 5 });
    await control(sim.ready, 'DELETE', '/state');
    const files = ['a.bin', 'b.bin', 'c.bin'].map((name) => ({ name, ...content(8 * 1024) }));
    for (const { name, bytes, expected } of files) {
      expect((await deliver(target, `refused/${name}`, bytes, expected)).receipt).toEqual({ location: `refused/${name}`, outcome: 'committed' });
    }
    const state = await sim.state();
    expect(state.requests).toEqual({ HeadObject: 3, PutObject: 4 });
    expect(state.faultsFired).toEqual({ conditionalRefusedTimes: 1 });
    for (const { name, expected } of files) expect(await sha256Of(sim, `fleet/refused/${name}`)).toBe(expected.sha256);
  }, 60_000);

  it('a conditional PUT refused because another object holds the key takes the HEAD path: renamed beside it, same content already present, nothing overwritten', async () => {
    const { sim, catalogPath } = await setUp();
    const target = await openTarget(sim, catalogPath, { maxAttempts: 1 });
    const proof = content(10_000);
    await deliver(target, 'proof.bin', proof.bytes, proof.expected);
    const theirs = content(20_000);
    await sim.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'fleet/shared/photo.jpg', Body: theirs.bytes }));
    await control(sim.ready, 'DELETE', '/state');
    const ours = content(20_000);
    expect((await deliver(target, 'shared/photo.jpg', ours.bytes, ours.expected)).receipt).toEqual({ location: 'shared/photo-1.jpg', outcome: 'renamed' });
    expect((await sim.state()).errors['PreconditionFailed']).toBe(1);
    expect(await sha256Of(sim, 'fleet/shared/photo.jpg')).toBe(theirs.expected.sha256);
    expect(await sha256Of(sim, 'fleet/shared/photo-1.jpg')).toBe(ours.expected.sha256);
    // Sent again (the catalog lost the receipt): refused, and the HEAD finds it there.
    expect((await deliver(target, 'shared/photo.jpg', ours.bytes, ours.expected)).receipt).toEqual({ location: 'shared/photo-1.jpg', outcome: 'already-present' });
  }, 60_000);

  it('the simulator SIGKILLed mid-upload and restarted on the same root: the upload goes on (same upload id) and completes', async () => {
    const { sim, root, catalogPath } = await setUp();
    const target = await openTarget(sim, catalogPath, { maxAttempts: 1 });
    const { bytes, expected } = content(12 * MIB + 99);
    const cut = watched(catalogPath, 'kill/v.bin', bytes, 1, () => sim.proc.stop('SIGKILL'));
    const err = await target.write('kill/v.bin', 0, cut, { expected }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFilesyncError(err) && err.kind).toBe('transient');
    expect(sim.proc.child.signalCode).toBe('SIGKILL');
    const uploadId = uploadIdOf(catalogPath, 'kill/v.bin');
    expect(uploadId).toBeTruthy();
    await target.close();

    // Same root, new port: the agent's target comes back with the same catalog.
    const again = await startSim(root);
    expect((await again.state()).uploadsInProgress.map((u) => [u.key, u.uploadId, u.parts])).toEqual([['fleet/kill/v.bin', uploadId, 1]]);
    const reopened = await openTarget(again, catalogPath, { maxAttempts: 1 });
    expect(await reopened.partialSize('kill/v.bin')).toBe(PART);
    expect(uploadIdOf(catalogPath, 'kill/v.bin')).toBe(uploadId);

    const { receipt, froms } = await deliver(reopened, 'kill/v.bin', bytes, expected);
    expect(receipt).toEqual({ location: 'kill/v.bin', outcome: 'committed' });
    expect(froms).toEqual([PART]);
    const state = await again.state();
    expect(state.requests['CreateMultipartUpload'] ?? 0).toBe(0);
    expect(state.requests['UploadPart']).toBe(2);
    expect(state.bytesReceived[`${BUCKET}/fleet/kill/v.bin`]).toBeLessThanOrEqual(bytes.length - PART + 64 * 1024);
    expect(await sha256Of(again, 'fleet/kill/v.bin')).toBe(expected.sha256);
    expect(await openUploads(again)).toEqual([]);
  }, 90_000);
});

describe('S3 target against the S3 simulator (127.0.0.1): several parts in flight', () => {
  /** Polls the simulator (bounded) while `until` is pending; the most UploadPart bodies of `key` seen arriving at once, and the part numbers. */
  async function watchReceiving(sim: Sim, key: string, until: Promise<unknown>): Promise<{ most: number; numbers: Set<number> }> {
    let settled = false;
    void until.finally(() => (settled = true)).catch(() => undefined);
    let most = 0;
    const numbers = new Set<number>();
    for (let i = 0; i < 3000 && !settled; i++) {
      const arriving = (await sim.state()).partsReceiving.filter((p) => p.key === key && p.received > 0);
      most = Math.max(most, arriving.length);
      for (const p of arriving) numbers.add(p.partNumber);
      await new Promise((r) => setTimeout(r, 10));
    }
    return { most, numbers };
  }

  it('keeps partConcurrency parts in flight at once (the simulator sees several bodies arriving together, never more), byte-identical', async () => {
    const { sim, catalogPath } = await setUp();
    const target = await openTarget(sim, catalogPath, { partConcurrency: 3 });
    // A slow link per connection (TCP pushes back), so that parts overlap long enough to be seen.
    await sim.setFaults({ bandwidthBytesPerSec: 8 * MIB });
    const { bytes, expected } = content(4 * PART + 1234);
    const sending = deliver(target, 'par/video.bin', bytes, expected);
    const seen = await watchReceiving(sim, 'fleet/par/video.bin', sending);
    const { receipt, froms } = await sending;
    expect(receipt).toEqual({ location: 'par/video.bin', outcome: 'committed' });
    expect(froms).toEqual([0]);
    expect(seen.most).toBeGreaterThan(1);
    expect(seen.most).toBeLessThanOrEqual(3);
    const state = await sim.state();
    expect(state.requests['UploadPart']).toBe(5);
    expect(state.bytesReceived[`${BUCKET}/fleet/par/video.bin`]).toBe(bytes.length);
    expect(await sha256Of(sim, 'fleet/par/video.bin')).toBe(expected.sha256);
    expect(await openUploads(sim)).toEqual([]);
  }, 60_000);

  it('parts finish out of order, the upload is cut with a later part done and earlier ones in flight: the next run sends only the missing parts', async () => {
    const { sim, catalogPath } = await setUp();
    const first = await openTarget(sim, catalogPath, { partConcurrency: 3, maxAttempts: 1 });
    // Parts 1 and 2 are 5 MiB, part 3 is 1 MiB: on a slow link part 3 is acknowledged (and recorded) first.
    await sim.setFaults({ bandwidthBytesPerSec: 2 * MIB });
    const { bytes, expected } = content(2 * PART + MIB);
    const cut = new AbortController();
    const writing = first.write('ooo/video.bin', 0, chunks(bytes), { expected, signal: cut.signal });
    const records = openMultipartRecords(catalogPath);
    try {
      // The power cut: once part 3 is recorded while 1 and 2 are not (bounded wait).
      const recorded = (): number[] => records.get('s3', 'ooo/video.bin')?.parts.map((p) => p.partNumber) ?? [];
      for (let i = 0; i < 1000 && recorded().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(recorded()).toEqual([3]);
      cut.abort();
      await expect(writing).rejects.toThrow();
      expect(recorded()).toEqual([3]);
    } finally {
      records.close();
    }
    await first.close();
    // The bodies cut off are counted until the simulator reads their sockets' end: wait for that (bounded).
    for (let i = 0; i < 500 && (await sim.state()).partsReceiving.some((p) => p.key === 'fleet/ooo/video.bin'); i++) await new Promise((r) => setTimeout(r, 10));
    const before = await sim.state();
    const receivedBefore = before.bytesReceived[`${BUCKET}/fleet/ooo/video.bin`] ?? 0;
    await sim.setFaults({ bandwidthBytesPerSec: null });

    // The next start: a new target on the same catalog, as after a reboot.
    const again = await openTarget(sim, catalogPath, { partConcurrency: 3, maxAttempts: 1 });
    const sending = deliver(again, 'ooo/video.bin', bytes, expected);
    const seen = await watchReceiving(sim, 'fleet/ooo/video.bin', sending);
    const { receipt, froms } = await sending;
    expect(receipt).toEqual({ location: 'ooo/video.bin', outcome: 'committed' });
    // The run of parts from 1 was empty: the stream is read from 0, and part 3 is read but not sent again.
    expect(froms).toEqual([0]);
    const after = await sim.state();
    expect(after.requests['CreateMultipartUpload']).toBe(1);
    expect((after.requests['UploadPart'] ?? 0) - (before.requests['UploadPart'] ?? 0)).toBe(2);
    expect(seen.numbers.has(3)).toBe(false);
    const sentAfter = (after.bytesReceived[`${BUCKET}/fleet/ooo/video.bin`] ?? 0) - receivedBefore;
    expect(sentAfter).toBe(2 * PART);
    // Bytes sent twice: what parts 1 and 2 had got through before the cut, at most the parts in flight.
    expect(receivedBefore + sentAfter - bytes.length).toBeLessThanOrEqual(2 * PART);
    expect(await sha256Of(sim, 'fleet/ooo/video.bin')).toBe(expected.sha256);
    expect(await openUploads(sim)).toEqual([]);
  }, 60_000);

  it('a part recorded past the run whose bytes are not the ones read now is sent again, not trusted', async () => {
    const { sim, catalogPath } = await setUp();
    const target = await openTarget(sim, catalogPath, { partConcurrency: 2 });
    const { bytes, expected } = content(2 * PART + MIB);
    await deliver(target, 'keep/a.bin', bytes, expected).catch(() => undefined);
    // A recorded upload with part 2 done and part 1 missing, but part 2's record names other bytes (an MD5 ETag of zeros).
    const records = openMultipartRecords(catalogPath);
    try {
      const upload = records.begin({ targetId: 's3', path: 'keep/b.bin', objectKey: 'fleet/keep/b.bin', partSize: PART, size: expected.size, sha256: expected.sha256 });
      const uploadId = (await sim.client().send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: upload.objectKey, Metadata: { sha256: expected.sha256 } }))).UploadId ?? '';
      records.setUploadId('s3', upload.path, uploadId);
      const part2 = bytes.subarray(PART, 2 * PART);
      const etag = (await sim.client().send(new UploadPartCommand({ Bucket: BUCKET, Key: upload.objectKey, UploadId: uploadId, PartNumber: 2, Body: Buffer.alloc(PART) }))).ETag ?? '';
      expect(etag).not.toBe('');
      records.addPart('s3', upload.path, { partNumber: 2, size: part2.length, etag });
    } finally {
      records.close();
    }
    const before = (await sim.state()).requests['UploadPart'] ?? 0;
    const { receipt, froms } = await deliver(target, 'keep/b.bin', bytes, expected);
    expect(receipt.outcome).toBe('committed');
    expect(froms).toEqual([0]);
    expect(((await sim.state()).requests['UploadPart'] ?? 0) - before).toBe(3);
    expect(await sha256Of(sim, 'fleet/keep/b.bin')).toBe(expected.sha256);
  }, 60_000);
});
