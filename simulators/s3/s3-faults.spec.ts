import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { patternBytes } from '@filesync/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type S3SimProcess, type S3SimState, s3Failure, startS3SimProcess } from './testing/s3-sim-process';

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

let root: string;
let sim: S3SimProcess;
/** Default SDK retry policy (3 attempts). */
let s3: S3Client;
/** No retries: the first answer is what the caller sees. */
let once: S3Client;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fs-s3-faults-'));
  sim = await startS3SimProcess(root, ['--min-part-size', '1024']);
  s3 = sim.client();
  once = sim.client({ maxAttempts: 1 });
  await s3.send(new CreateBucketCommand({ Bucket: 'chaos' }));
});

afterEach(async () => {
  await fetch(`${sim.ready.control}/faults`, { method: 'DELETE' });
});

afterAll(async () => {
  await sim?.stop();
  await rm(root, { recursive: true, force: true });
});

async function newUpload(key: string): Promise<string> {
  return (await s3.send(new CreateMultipartUploadCommand({ Bucket: 'chaos', Key: key }))).UploadId!;
}

describe('faults as the AWS SDK v3 sees them', () => {
  it('internalErrorTimes: the SDK retries a 500 InternalError and gets through; without retries it surfaces', async () => {
    await sim.setFaults({ internalErrorTimes: 2 });
    const put = await s3.send(new PutObjectCommand({ Bucket: 'chaos', Key: 'retried', Body: 'x' }));
    expect(put.$metadata.attempts).toBe(3);
    await sim.setFaults({ internalErrorTimes: 1 });
    const err = await s3Failure(once.send(new PutObjectCommand({ Bucket: 'chaos', Key: 'surfaced', Body: 'x' })));
    expect([err.name, err.$metadata.httpStatusCode, err.$fault]).toEqual(['InternalError', 500, 'server']);
    expect((await sim.state()).faultsFired['internalErrorTimes']).toBe(3);
  });

  it('internalErrorRate 1: every request fails until the fault is cleared', async () => {
    await sim.setFaults({ internalErrorRate: 1 });
    for (let i = 0; i < 3; i++) expect((await s3Failure(once.send(new PutObjectCommand({ Bucket: 'chaos', Key: `rate-${i}`, Body: 'x' })))).name).toBe('InternalError');
    await sim.setFaults({ internalErrorRate: 0 });
    await once.send(new PutObjectCommand({ Bucket: 'chaos', Key: 'rate-ok', Body: 'x' }));
  });

  it('slowDownTimes: 503 SlowDown is throttling the SDK backs off from and retries', async () => {
    await sim.setFaults({ slowDownTimes: 1 });
    const err = await s3Failure(once.send(new PutObjectCommand({ Bucket: 'chaos', Key: 'slow', Body: 'x' })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['SlowDown', 503]);
    await sim.setFaults({ slowDownTimes: 1 });
    expect((await s3.send(new PutObjectCommand({ Bucket: 'chaos', Key: 'slow', Body: 'x' }))).$metadata.attempts).toBe(2);
  });

  it('dropPartAfterBytes: the connection dies mid-part (a network error, no S3 answer), nothing is stored; retried, the part lands', async () => {
    const uploadId = await newUpload('dropped.bin');
    const part = patternBytes(1024 * 1024, 9);
    await sim.setFaults({ dropPartAfterBytes: 65_536 });
    const err = await once.send(new UploadPartCommand({ Bucket: 'chaos', Key: 'dropped.bin', UploadId: uploadId, PartNumber: 1, Body: part })).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(S3ServiceException);
    expect(`${err?.code ?? ''} ${err?.message ?? ''}`).toMatch(/ECONNRESET|EPIPE|socket hang up/);
    expect((await s3.send(new ListPartsCommand({ Bucket: 'chaos', Key: 'dropped.bin', UploadId: uploadId }))).Parts ?? []).toEqual([]);
    const received = (await sim.state()).bytesReceived['chaos/dropped.bin']!;
    expect(received).toBeGreaterThanOrEqual(65_536);
    expect(received).toBeLessThan(part.length);

    await sim.setFaults({ dropPartAfterBytes: 65_536 });
    const ok = await s3.send(new UploadPartCommand({ Bucket: 'chaos', Key: 'dropped.bin', UploadId: uploadId, PartNumber: 1, Body: part }));
    expect([ok.ETag, ok.$metadata.attempts]).toEqual([`"${md5(part)}"`, 2]);
  });

  it('completeErrorBodyTimes: a 200 with an <Error> body (Ceph RGW) makes the SDK throw; the upload is still there and completes after', async () => {
    const uploadId = await newUpload('ceph.bin');
    const body = patternBytes(2000, 3);
    const { ETag } = await s3.send(new UploadPartCommand({ Bucket: 'chaos', Key: 'ceph.bin', UploadId: uploadId, PartNumber: 1, Body: body }));
    const complete = (client: S3Client) =>
      client.send(new CompleteMultipartUploadCommand({ Bucket: 'chaos', Key: 'ceph.bin', UploadId: uploadId, MultipartUpload: { Parts: [{ ETag, PartNumber: 1 }] } }));
    await sim.setFaults({ completeErrorBodyTimes: 1 });
    const err = await s3Failure(complete(once));
    expect(err.name).toBe('InternalError');
    expect((await sim.state()).faultsFired['completeErrorBodyTimes']).toBe(1);
    expect((await s3.send(new ListPartsCommand({ Bucket: 'chaos', Key: 'ceph.bin', UploadId: uploadId }))).Parts?.length).toBe(1);
    await complete(s3);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'chaos', Key: 'ceph.bin' }));
    expect(md5(await got.Body!.transformToByteArray())).toBe(md5(body));
  });

  it('wrongEtagTimes: the answered ETag is not the MD5 of the bytes (which are stored right)', async () => {
    const body = patternBytes(5000, 4);
    await sim.setFaults({ wrongEtagTimes: 1 });
    const put = await s3.send(new PutObjectCommand({ Bucket: 'chaos', Key: 'wrong-etag', Body: body }));
    expect(put.ETag).not.toBe(`"${md5(body)}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'chaos', Key: 'wrong-etag' }));
    expect(got.ETag).toBe(put.ETag);
    expect(md5(await got.Body!.transformToByteArray())).toBe(md5(body));
  });

  it('corruptDataTimes: the ETag is the MD5 of what was sent, the stored bytes differ (only a read-back finds it)', async () => {
    const body = patternBytes(5000, 5);
    await sim.setFaults({ corruptDataTimes: 1 });
    const put = await s3.send(new PutObjectCommand({ Bucket: 'chaos', Key: 'corrupt', Body: body }));
    expect(put.ETag).toBe(`"${md5(body)}"`);
    const stored = await (await s3.send(new GetObjectCommand({ Bucket: 'chaos', Key: 'corrupt' }))).Body!.transformToByteArray();
    expect(stored.length).toBe(body.length);
    expect(md5(stored)).not.toBe(md5(body));
  });

  it('forgetUploadTimes: the next UploadPart finds its upload gone (404 NoSuchUpload), and so does everything after', async () => {
    const uploadId = await newUpload('forgotten.bin');
    await s3.send(new UploadPartCommand({ Bucket: 'chaos', Key: 'forgotten.bin', UploadId: uploadId, PartNumber: 1, Body: patternBytes(2000, 1) }));
    await sim.setFaults({ forgetUploadTimes: 1 });
    const err = await s3Failure(s3.send(new UploadPartCommand({ Bucket: 'chaos', Key: 'forgotten.bin', UploadId: uploadId, PartNumber: 2, Body: 'x' })));
    expect([err.name, err.$metadata.httpStatusCode, err.$metadata.attempts]).toEqual(['NoSuchUpload', 404, 1]);
    expect((await s3Failure(s3.send(new ListPartsCommand({ Bucket: 'chaos', Key: 'forgotten.bin', UploadId: uploadId })))).name).toBe('NoSuchUpload');
    const uploads = (await s3.send(new ListMultipartUploadsCommand({ Bucket: 'chaos', Prefix: 'forgotten' }))).Uploads ?? [];
    expect(uploads).toEqual([]);
  });

  it('bandwidthBytesPerSec: a part arrives no faster than the cap, and shows in partsReceiving while it does', async () => {
    const uploadId = await newUpload('slow-link.bin');
    const part = patternBytes(1024 * 1024, 6);
    await sim.setFaults({ bandwidthBytesPerSec: 2 * 1024 * 1024 });
    const startedAt = Date.now();
    const sent = s3.send(new UploadPartCommand({ Bucket: 'chaos', Key: 'slow-link.bin', UploadId: uploadId, PartNumber: 3, Body: part }));
    let seen: S3SimState['partsReceiving'] = [];
    for (let i = 0; i < 100 && seen.length === 0; i++) {
      seen = (await sim.state()).partsReceiving.filter((p) => p.key === 'slow-link.bin' && p.received > 0);
      if (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    }
    expect(seen).toEqual([{ bucket: 'chaos', key: 'slow-link.bin', uploadId, partNumber: 3, received: expect.any(Number) as number, declared: part.length, startedAt: expect.any(Number) as number }]);
    expect(seen[0]!.startedAt).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(seen[0]!.received).toBeLessThan(part.length);
    expect((await sent).ETag).toBe(`"${md5(part)}"`);
    // 1 MiB at 2 MiB/s: half a second at least (the first chunk is read before the first wait).
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(400);
    expect((await sim.state()).partsReceiving).toEqual([]);
    await sim.setFaults({ bandwidthBytesPerSec: null });
  });

  it('latencyMs: every request waits that long before it is answered, requests in flight side by side', async () => {
    await sim.setFaults({ latencyMs: 300 });
    const startedAt = Date.now();
    const heads = await Promise.all(['a', 'b', 'c'].map((k) => s3Failure(s3.send(new HeadObjectCommand({ Bucket: 'chaos', Key: `latency-${k}` })))));
    const took = Date.now() - startedAt;
    await sim.setFaults({ latencyMs: 0 });
    expect(heads.map((e) => e.$metadata.httpStatusCode)).toEqual([404, 404, 404]);
    // Three at once cost one wait, not three.
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(900);
  });

  it('the control API refuses an unknown or malformed fault, naming the field', async () => {
    const bad = await fetch(`${sim.ready.control}/faults`, { method: 'POST', body: JSON.stringify({ slowDownTimes: -1 }) });
    expect([bad.status, ((await bad.json()) as { error: string }).error]).toEqual([400, expect.stringContaining('faults.slowDownTimes')]);
    const unknown = await fetch(`${sim.ready.control}/faults`, { method: 'POST', body: JSON.stringify({ explode: true }) });
    expect(((await unknown.json()) as { error: string }).error).toContain('faults.explode');
    const reset = await fetch(`${sim.ready.control}/state`, { method: 'DELETE' });
    expect(((await reset.json()) as { requests: Record<string, number> }).requests).toEqual({});
  });
});
