import { type ChildProcess, spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type FilesyncError, systemClock } from '@filesync/core';
import { openMultipartRecords } from '@filesync/store';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MIB, chunks, content, openS3Target, readAll, tempCatalog, upload } from './testing/fixture';
import { S3RVER_CREDENTIALS, type RunningS3rver, startS3rver } from './testing/s3rver-server';
import type { S3Target } from './s3-target';

let server: RunningS3rver;
let catalog: { path: string; cleanup(): Promise<void> };
const open: S3Target[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  server = await startS3rver();
});
afterAll(async () => {
  await server.stop();
});

async function fresh(overrides: Parameters<typeof openS3Target>[2] = {}): Promise<S3Target> {
  catalog = await tempCatalog();
  return reopen(overrides);
}

function reopen(overrides: Parameters<typeof openS3Target>[2] = {}): S3Target {
  const target = openS3Target(server, catalog.path, overrides);
  open.push(target);
  return target;
}

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(open.splice(0).map((t) => t.close().catch(() => undefined)));
  await catalog?.cleanup();
  server.requests.length = 0;
});

/** The object's metadata as another client sees it. */
async function metadataOf(key: string): Promise<Record<string, string> | undefined> {
  const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...S3RVER_CREDENTIALS } });
  try {
    return (await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: key }))).Metadata;
  } finally {
    client.destroy();
  }
}

const partBytes = (uploadIds?: Set<string>): number =>
  server.requests.filter((r) => r.method === 'PUT' && r.partNumber !== undefined && (uploadIds === undefined || uploadIds.has(r.uploadId ?? ''))).reduce((n, r) => n + r.bytes, 0);

async function errorOf(promise: Promise<unknown>): Promise<FilesyncError> {
  try {
    await promise;
  } catch (err) {
    return err as FilesyncError;
  }
  throw new Error('expected a rejection');
}

describe('S3 target against s3rver (127.0.0.1)', () => {
  it('puts a small file in one PUT, with its sha256 as object metadata, byte-identical; s3rver ignores If-None-Match, so the HEAD stays', async () => {
    const target = await fresh();
    const { bytes, expected } = content(300_000);
    const { receipt } = await upload(target, 'px4/log/a.ulg', bytes, expected);
    expect(receipt).toEqual({ location: 'px4/log/a.ulg', outcome: 'committed' });
    // The second, conditional, PUT of the same bytes is the proof (see conditional-puts.ts): s3rver overwrote.
    expect(server.requests.filter((r) => r.method === 'PUT').map((r) => r.key)).toEqual(['fleet/px4/log/a.ulg', 'fleet/px4/log/a.ulg']);
    server.requests.length = 0;
    const next = content(1000);
    expect((await upload(target, 'px4/log/b.ulg', next.bytes, next.expected)).receipt).toEqual({ location: 'px4/log/b.ulg', outcome: 'committed' });
    expect(server.requests.map((r) => `${r.method} ${r.key}`)).toEqual(['HEAD fleet/px4/log/b.ulg', 'PUT fleet/px4/log/b.ulg']);
    expect(await metadataOf('fleet/px4/log/a.ulg')).toMatchObject({ sha256: expected.sha256 });
    expect((await readAll(target, 'px4/log/a.ulg')).equals(bytes)).toBe(true);
    expect(await target.stat('px4/log/a.ulg')).toEqual({ size: bytes.length });
  });

  it('sends a large file as a multipart upload that appears only when complete, and records each part in the catalog', async () => {
    const target = await fresh();
    const { bytes, expected } = content(12 * MIB + 123);
    const seen: number[] = [];
    const records = openMultipartRecords(catalog.path);
    async function* watched(): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunks(bytes)) {
        // Between parts the catalog already holds every part the store acknowledged, and the key is still empty.
        seen.push(records.get('s3', 'video/big.mp4')?.parts.length ?? 0);
        yield chunk;
      }
    }
    await target.write('video/big.mp4', 0, watched(), { expected });
    expect(Math.max(...seen)).toBe(2);
    expect(records.get('s3', 'video/big.mp4')?.parts.map((p) => [p.partNumber, p.size])).toEqual([
      [1, 5 * MIB],
      [2, 5 * MIB],
      [3, 2 * MIB + 123],
    ]);
    expect(await target.stat('video/big.mp4')).toBeUndefined();
    expect(await target.commit('video/big.mp4', expected)).toEqual({ location: 'video/big.mp4', outcome: 'committed' });
    expect(records.get('s3', 'video/big.mp4')).toBeUndefined();
    records.close();
    expect(server.requests.filter((r) => r.partNumber !== undefined).map((r) => r.partNumber)).toEqual([1, 2, 3]);
    expect(await metadataOf('fleet/video/big.mp4')).toMatchObject({ sha256: expected.sha256 });
    expect((await readAll(target, 'video/big.mp4')).equals(bytes)).toBe(true);
    expect(await server.openUploads()).toEqual([]);
  });

  describe('collisions (small and multipart, as for FTP)', () => {
    for (const size of [100_000, 11 * MIB]) {
      const kind = size < MIB ? 'small' : 'multipart';
      it(`${kind}: same content is already-present and sends nothing; a different file is renamed, skipped or overwritten per policy`, async () => {
        const target = await fresh();
        const first = content(size);
        await upload(target, `c/${kind}.bin`, first.bytes, first.expected);
        server.requests.length = 0;
        // Same content again (a commit whose reply was lost): done, no bytes sent.
        expect((await upload(target, `c/${kind}.bin`, first.bytes, first.expected)).receipt).toEqual({ location: `c/${kind}.bin`, outcome: 'already-present' });
        expect(server.requests.filter((r) => r.method === 'PUT' || r.method === 'POST')).toEqual([]);

        const second = content(size + 1);
        expect((await upload(target, `c/${kind}.bin`, second.bytes, second.expected)).receipt).toEqual({ location: `c/${kind}-1.bin`, outcome: 'renamed' });
        expect((await readAll(target, `c/${kind}.bin`)).equals(first.bytes)).toBe(true);
        expect((await readAll(target, `c/${kind}-1.bin`)).equals(second.bytes)).toBe(true);
        // The renamed copy is found again after a lost reply.
        expect((await upload(target, `c/${kind}.bin`, second.bytes, second.expected)).receipt).toEqual({ location: `c/${kind}-1.bin`, outcome: 'already-present' });

        const skipping = reopen({ collision: 'skip' });
        const third = content(size + 2);
        expect((await upload(skipping, `c/${kind}.bin`, third.bytes, third.expected)).receipt).toEqual({ location: `c/${kind}.bin`, outcome: 'skipped' });
        expect((await readAll(target, `c/${kind}.bin`)).equals(first.bytes)).toBe(true);

        const overwriting = reopen({ collision: 'overwrite' });
        expect((await upload(overwriting, `c/${kind}.bin`, third.bytes, third.expected)).receipt).toEqual({ location: `c/${kind}.bin`, outcome: 'committed' });
        expect((await readAll(target, `c/${kind}.bin`)).equals(third.bytes)).toBe(true);
        expect(await metadataOf(`fleet/c/${kind}.bin`)).toMatchObject({ sha256: third.expected.sha256 });
        expect(await server.openUploads()).toEqual([]);
      });
    }
  });

  it('resumes after the uploading process is SIGKILLed: the next part follows, bytes re-sent at most one part', async () => {
    catalog = await tempCatalog();
    const { bytes, expected } = content(17 * MIB);
    const file = join(catalog.path, '..', 'big.bin');
    await writeFile(file, bytes);
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./testing/upload-child.ts', import.meta.url)), server.endpoint, server.bucket, catalog.path, file, 'video/kill.mp4'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const stderr: string[] = [];
    child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
    const records = openMultipartRecords(catalog.path);
    // Wait (bounded) until the catalog holds two acknowledged parts, then cut the power.
    for (let i = 0; i < 600 && (records.get('s3', 'video/kill.mp4')?.parts.length ?? 0) < 2; i++) {
      if (child.exitCode !== null) throw new Error(`child ended early: ${stderr.join('')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const before = records.get('s3', 'video/kill.mp4');
    records.close();
    expect(before?.parts.length).toBe(2);
    const uploadId = before?.uploadId ?? '';
    const sentBeforeKill = partBytes(new Set([uploadId]));

    const target = reopen();
    const { from, receipt } = await upload(target, 'video/kill.mp4', bytes, expected);
    expect(from).toBe(10 * MIB);
    expect(receipt.outcome).toBe('committed');
    // Only parts 3 and 4 went after the restart, on the same upload.
    const after = server.requests.filter((r) => r.partNumber !== undefined && r.uploadId === uploadId).map((r) => r.partNumber);
    expect(after.slice(-2)).toEqual([3, 4]);
    const total = partBytes(new Set([uploadId]));
    expect(total - bytes.length).toBeLessThanOrEqual(5 * MIB);
    expect(sentBeforeKill).toBeGreaterThanOrEqual(10 * MIB);
    expect((await readAll(target, 'video/kill.mp4')).equals(bytes)).toBe(true);
  }, 120_000);

  it('resumes from the catalog after the target is dropped mid-upload (no ListParts needed for the run of parts)', async () => {
    const target = await fresh();
    const { bytes, expected } = content(16 * MIB);
    const stop = new AbortController();
    async function* cut(): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunks(bytes)) {
        if (openMultipartRecords(catalog.path).get('s3', 'r.bin')?.parts.length === 2) stop.abort();
        yield chunk;
      }
    }
    await expect(target.write('r.bin', 0, cut(), { expected, signal: stop.signal })).rejects.toThrow();
    await target.close();
    const again = reopen();
    const { from, receipt } = await upload(again, 'r.bin', bytes, expected);
    expect(from).toBe(10 * MIB);
    expect(receipt.outcome).toBe('committed');
    expect(partBytes()).toBe(bytes.length);
  });

  it('reconciles the recorded parts with ListParts: a recorded part the store no longer lists is sent again, not trusted', async () => {
    const target = await fresh();
    const { bytes, expected } = content(16 * MIB);
    const stop = new AbortController();
    async function* cut(): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunks(bytes)) {
        if (openMultipartRecords(catalog.path).get('s3', 'l.bin')?.parts.length === 2) stop.abort();
        yield chunk;
      }
    }
    await expect(target.write('l.bin', 0, cut(), { expected, signal: stop.signal })).rejects.toThrow();
    const uploadId = openMultipartRecords(catalog.path).get('s3', 'l.bin')?.uploadId ?? '';
    // The store lost part 2 (its files in s3rver's upload folder).
    await rm(join(server.directory, server.bucket, '._S3rver_uploads', uploadId, '2.md5'));
    expect(await target.partialSize('l.bin')).toBe(5 * MIB);
    expect(openMultipartRecords(catalog.path).get('s3', 'l.bin')?.parts.map((p) => p.partNumber)).toEqual([1]);
    server.requests.length = 0;
    const { receipt } = await upload(target, 'l.bin', bytes, expected);
    expect(receipt.outcome).toBe('committed');
    expect(server.requests.filter((r) => r.partNumber !== undefined).map((r) => r.partNumber)).toEqual([2, 3, 4]);
    expect((await readAll(target, 'l.bin')).equals(bytes)).toBe(true);
  });

  it('starts a new upload when the store forgot the recorded one (NoSuchUpload)', async () => {
    const target = await fresh();
    const { bytes, expected } = content(12 * MIB);
    const stop = new AbortController();
    async function* cut(): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunks(bytes)) {
        if (openMultipartRecords(catalog.path).get('s3', 'f.bin')?.parts.length === 1) stop.abort();
        yield chunk;
      }
    }
    await expect(target.write('f.bin', 0, cut(), { expected, signal: stop.signal })).rejects.toThrow();
    const forgotten = openMultipartRecords(catalog.path).get('s3', 'f.bin')?.uploadId ?? '';
    await server.forgetUpload(forgotten);
    expect(await target.partialSize('f.bin')).toBe(0);
    const { receipt } = await upload(target, 'f.bin', bytes, expected);
    expect(receipt.outcome).toBe('committed');
    const ids = new Set(server.requests.filter((r) => r.partNumber !== undefined).map((r) => r.uploadId));
    expect(ids.size).toBe(2);
    expect((await readAll(target, 'f.bin')).equals(bytes)).toBe(true);
  });

  it('at start aborts its own stale uploads (abandoned, too old, or created but never recorded) and leaves others alone', async () => {
    const target = await fresh();
    const { bytes, expected } = content(12 * MIB);
    const stop = new AbortController();
    async function* cut(): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunks(bytes)) {
        if (openMultipartRecords(catalog.path).get('s3', 'old.bin')?.parts.length === 1) stop.abort();
        yield chunk;
      }
    }
    await expect(target.write('old.bin', 0, cut(), { expected, signal: stop.signal })).rejects.toThrow();
    await target.close();
    // A crash right after CreateMultipartUpload: the catalog has the key but not the id.
    const twoDaysLater = { ...systemClock, now: () => Date.now() + 2 * 24 * 3600_000 };
    const records = openMultipartRecords(catalog.path, { clock: twoDaysLater });
    records.begin({ targetId: 's3', path: 'orphan.bin', objectKey: 'fleet/orphan.bin', partSize: 5 * MIB, size: 12 * MIB, sha256: expected.sha256 });
    records.close();
    const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...S3RVER_CREDENTIALS } });
    const { CreateMultipartUploadCommand } = await import('@aws-sdk/client-s3');
    await client.send(new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: 'fleet/orphan.bin' }));
    // Another vehicle's upload under the same prefix: not ours.
    await client.send(new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: 'fleet/other-vehicle/x.bin' }));
    client.destroy();
    expect((await server.openUploads()).length).toBe(3);

    // Two days later: old.bin's upload is past staleUploadMs (1 h here).
    const later = reopen({ clock: twoDaysLater });
    expect(await later.swept).toEqual({ aborted: 2, leftAlone: 1, listed: true });
    expect((await server.openUploads()).map((u) => u.key)).toEqual(['fleet/other-vehicle/x.bin']);
    expect(openMultipartRecords(catalog.path).list('s3').map((u) => u.path)).toEqual(['orphan.bin']);
  });

  it('takes a 200 whose body is an error (CompleteMultipartUpload, as Ceph RGW sends) as a failure, and completes on the retry', async () => {
    const target = await fresh();
    const { bytes, expected } = content(11 * MIB);
    await target.write('e.bin', 0, chunks(bytes), { expected });
    server.failNextCompleteWith200();
    const err = await errorOf(target.commit('e.bin', expected));
    expect(err).toMatchObject({ kind: 'transient', code: 'busy' });
    expect(await target.stat('e.bin')).toBeUndefined();
    expect(await target.partialSize('e.bin')).toBe(bytes.length);
    expect(await target.commit('e.bin', expected)).toEqual({ location: 'e.bin', outcome: 'committed' });
    expect((await readAll(target, 'e.bin')).equals(bytes)).toBe(true);
  });

  it('refuses names that would leave the prefix, with the reason, and writes nothing', async () => {
    const target = await fresh();
    const { bytes, expected } = content(10);
    for (const path of ['../escape.bin', '/abs.bin', 'a/../../b.bin', 'a//b.bin', 'a/./b']) {
      const err = await errorOf(target.write(path, 0, chunks(bytes), { expected }));
      expect(err, path).toMatchObject({ kind: 'permanent', code: 'bad-request' });
      expect(err.message).toContain('not rewritten');
    }
    expect(server.requests).toEqual([]);
  });

  it('fails bad credentials and a missing bucket permanently, naming the bucket', async () => {
    const bad = await fresh({ accessKeyId: 'WRONG', secretAccessKey: 'nope' });
    const { bytes, expected } = content(1000);
    await bad.write('x.bin', 0, chunks(bytes), { expected });
    const denied = await errorOf(bad.commit('x.bin', expected));
    expect(denied).toMatchObject({ kind: 'permanent', code: 'permission' });
    expect(denied.message).toContain(`bucket "${server.bucket}"`);
    expect(denied.message).not.toContain('nope');

    // `filesync doctor`'s probe names both faults too, and changes nothing (no sweep, no catalog write).
    expect(await errorOf(bad.probe())).toMatchObject({ kind: 'permanent', code: 'permission' });
    await reopen().probe();

    const missing = reopen({ bucket: 'no-such-bucket' });
    expect(await errorOf(missing.probe())).toMatchObject({ kind: 'permanent', code: 'not-found' });
    const gone = await errorOf(missing.stat('x.bin').then(() => missing.write('x.bin', 0, chunks(bytes), { expected })).then(() => missing.commit('x.bin', expected)));
    expect(gone).toMatchObject({ kind: 'permanent', code: 'not-found' });
    expect(gone.message).toContain('bucket "no-such-bucket" does not exist');

    // A secret the config names but the agent cannot have: the target still opens (no crash loop of its
    // link), and each call fails for good with the field named.
    const unset = reopen({ accessKeyId: 'AK', secretAccessKey: undefined, secretAccessKeyEnv: 'FILESYNC_TEST_NO_SUCH_S3_SECRET' });
    expect(await errorOf(unset.stat('x.bin'))).toMatchObject({ kind: 'permanent', code: 'bad-request', message: 'secretAccessKeyEnv: environment variable FILESYNC_TEST_NO_SUCH_S3_SECRET is not set' });
  });
});
