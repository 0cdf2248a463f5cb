import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { patternBytes } from '@filesync/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY, type S3SimProcess, s3Failure, startS3SimProcess } from './testing/s3-sim-process';

const MiB = 1024 * 1024;
const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

let root: string;
let sim: S3SimProcess;
let s3: S3Client;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fs-s3-sim-'));
  sim = await startS3SimProcess(root);
  s3 = sim.client();
  await s3.send(new CreateBucketCommand({ Bucket: 'fleet' }));
});

afterAll(async () => {
  await sim?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('objects through the AWS SDK v3 (path-style)', () => {
  it('ready line names the endpoint, control API, region and key; buckets answer CreateBucket/HeadBucket as S3 does', async () => {
    expect(sim.ready).toMatchObject({ ready: true, sim: 's3', s3: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), control: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    await s3.send(new HeadBucketCommand({ Bucket: 'fleet' }));
    expect((await s3Failure(s3.send(new CreateBucketCommand({ Bucket: 'fleet' })))).name).toBe('BucketAlreadyOwnedByYou');
    const missing = await s3Failure(s3.send(new HeadBucketCommand({ Bucket: 'no-such-bucket' })));
    expect(missing.$metadata.httpStatusCode).toBe(404);
    expect((await s3Failure(s3.send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'k', Body: 'x' })))).name).toBe('NoSuchBucket');
  });

  it('put, head (ETag, length, x-amz-meta-*), get, ranged get, delete; a missing key is NoSuchKey / NotFound', async () => {
    const body = patternBytes(100_000, 3);
    const put = await s3.send(new PutObjectCommand({ Bucket: 'fleet', Key: 'drone-1/logs/a b+c.ulg', Body: body, Metadata: { sha256: 'abc123', vehicle: 'drone-1' } }));
    expect(put.ETag).toBe(`"${md5(body)}"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'fleet', Key: 'drone-1/logs/a b+c.ulg' }));
    expect(head).toMatchObject({ ETag: `"${md5(body)}"`, ContentLength: 100_000, Metadata: { sha256: 'abc123', vehicle: 'drone-1' } });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'fleet', Key: 'drone-1/logs/a b+c.ulg' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.from(body))).toBe(true);
    const ranged = await s3.send(new GetObjectCommand({ Bucket: 'fleet', Key: 'drone-1/logs/a b+c.ulg', Range: 'bytes=1000-1999' }));
    expect(ranged.ContentRange).toBe('bytes 1000-1999/100000');
    expect(ranged.$metadata.httpStatusCode).toBe(206);
    expect(Buffer.from(await ranged.Body!.transformToByteArray()).equals(Buffer.from(body.subarray(1000, 2000)))).toBe(true);
    const tail = await s3.send(new GetObjectCommand({ Bucket: 'fleet', Key: 'drone-1/logs/a b+c.ulg', Range: 'bytes=-10' }));
    expect(Buffer.from(await tail.Body!.transformToByteArray()).equals(Buffer.from(body.subarray(99_990)))).toBe(true);
    expect((await s3Failure(s3.send(new GetObjectCommand({ Bucket: 'fleet', Key: 'drone-1/logs/a b+c.ulg', Range: 'bytes=100000-' })))).name).toBe('InvalidRange');

    await s3.send(new DeleteObjectCommand({ Bucket: 'fleet', Key: 'drone-1/logs/a b+c.ulg' }));
    expect((await s3Failure(s3.send(new GetObjectCommand({ Bucket: 'fleet', Key: 'drone-1/logs/a b+c.ulg' })))).name).toBe('NoSuchKey');
    const gone = await s3Failure(s3.send(new HeadObjectCommand({ Bucket: 'fleet', Key: 'drone-1/logs/a b+c.ulg' })));
    expect([gone.name, gone.$metadata.httpStatusCode]).toEqual(['NotFound', 404]);
  });

  it('a streamed body (aws-chunked with the SDK CRC32 trailer) is stored decoded; a wrong Content-MD5 is BadDigest', async () => {
    const body = patternBytes(300_000, 4);
    await s3.send(new PutObjectCommand({ Bucket: 'fleet', Key: 'streamed.bin', Body: Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]), ContentLength: body.length }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'fleet', Key: 'streamed.bin' }));
    expect(md5(await got.Body!.transformToByteArray())).toBe(md5(body));
    const bad = await s3Failure(s3.send(new PutObjectCommand({ Bucket: 'fleet', Key: 'bad-md5.bin', Body: body, ContentMD5: createHash('md5').update('other').digest('base64') })));
    expect([bad.name, bad.$metadata.httpStatusCode]).toEqual(['BadDigest', 400]);
  });

  it('If-None-Match: * on PutObject creates a key but never replaces an object (412 PreconditionFailed); of two racing, one lands', async () => {
    const first = patternBytes(20_000, 5);
    await s3.send(new PutObjectCommand({ Bucket: 'fleet', Key: 'once.bin', Body: first, IfNoneMatch: '*' }));
    const refused = await s3Failure(s3.send(new PutObjectCommand({ Bucket: 'fleet', Key: 'once.bin', Body: patternBytes(20_000, 6), IfNoneMatch: '*' })));
    expect([refused.name, refused.$metadata.httpStatusCode]).toEqual(['PreconditionFailed', 412]);
    const kept = await s3.send(new GetObjectCommand({ Bucket: 'fleet', Key: 'once.bin' }));
    expect(md5(await kept.Body!.transformToByteArray())).toBe(md5(first));
    const racing = await Promise.allSettled([5, 6, 7].map((seed) => s3.send(new PutObjectCommand({ Bucket: 'fleet', Key: 'raced.bin', Body: patternBytes(50_000, seed), IfNoneMatch: '*' }))));
    expect(racing.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const other = await s3Failure(s3.send(new PutObjectCommand({ Bucket: 'fleet', Key: 'once.bin', Body: first, IfNoneMatch: '"abc"' })));
    expect(other.$metadata.httpStatusCode).toBe(501);
  });

  it('ListObjectsV2 by prefix, page by page with continuation tokens, and with a delimiter', async () => {
    const keys = ['list/a/1', 'list/a/2', 'list/b/1', 'list/c', 'list/d', 'other/x'];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: 'fleet', Key, Body: Key }));
    const seen: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await s3.send(new ListObjectsV2Command({ Bucket: 'fleet', Prefix: 'list/', MaxKeys: 2, ContinuationToken: token }));
      seen.push(...(res.Contents ?? []).map((c) => c.Key!));
      expect(res.KeyCount).toBe((res.Contents ?? []).length);
      if (!res.IsTruncated) break;
      token = res.NextContinuationToken;
    }
    expect(seen).toEqual(keys.slice(0, 5));
    const grouped = await s3.send(new ListObjectsV2Command({ Bucket: 'fleet', Prefix: 'list/', Delimiter: '/' }));
    expect((grouped.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(['list/a/', 'list/b/']);
    expect((grouped.Contents ?? []).map((c) => [c.Key, c.Size])).toEqual([
      ['list/c', 6],
      ['list/d', 6],
    ]);
  });
});

describe('multipart uploads through the AWS SDK v3', () => {
  it('3 parts with ListParts between them, ListMultipartUploads, complete: the bytes and the md5-of-md5s-3 ETag are right', async () => {
    const data = patternBytes(11 * MiB + 12_345, 5);
    const chunks = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB, 10 * MiB), data.subarray(10 * MiB)];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'fleet', Key: 'mp/video.mp4', Metadata: { sha256: 'feed' } }));
    expect(UploadId).toMatch(/^[0-9a-f]{40,}$/);
    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'fleet', Prefix: 'mp/' }));
    expect((listed.Uploads ?? []).map((u) => [u.Key, u.UploadId])).toEqual([['mp/video.mp4', UploadId]]);
    const etags: string[] = [];
    for (const [i, chunk] of chunks.entries()) {
      const part = await s3.send(new UploadPartCommand({ Bucket: 'fleet', Key: 'mp/video.mp4', UploadId, PartNumber: i + 1, Body: chunk }));
      expect(part.ETag).toBe(`"${md5(chunk)}"`);
      etags.push(part.ETag!);
      const parts = await s3.send(new ListPartsCommand({ Bucket: 'fleet', Key: 'mp/video.mp4', UploadId }));
      expect((parts.Parts ?? []).map((p) => [p.PartNumber, p.ETag, p.Size])).toEqual(etags.map((e, j) => [j + 1, e, chunks[j]!.length]));
    }
    const paged = await s3.send(new ListPartsCommand({ Bucket: 'fleet', Key: 'mp/video.mp4', UploadId, MaxParts: 2 }));
    expect([paged.IsTruncated, paged.NextPartNumberMarker, paged.Parts?.length]).toEqual([true, '2', 2]);

    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: 'fleet', Key: 'mp/video.mp4', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
    );
    const expected = `"${createHash('md5').update(Buffer.concat(chunks.map((c) => Buffer.from(md5(c), 'hex')))).digest('hex')}-3"`;
    expect(done.ETag).toBe(expected);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'fleet', Key: 'mp/video.mp4' }));
    expect(head).toMatchObject({ ETag: expected, ContentLength: data.length, Metadata: { sha256: 'feed' } });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'fleet', Key: 'mp/video.mp4' }));
    expect(md5(await got.Body!.transformToByteArray())).toBe(md5(data));
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'fleet', Prefix: 'mp/' }))).Uploads ?? []).toEqual([]);
    expect((await s3Failure(s3.send(new ListPartsCommand({ Bucket: 'fleet', Key: 'mp/video.mp4', UploadId })))).name).toBe('NoSuchUpload');
  });

  it('CompleteMultipartUpload checks part ETags (InvalidPart), order (InvalidPartOrder) and the 5 MiB minimum (EntityTooSmall)', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'fleet', Key: 'mp/checked.bin' }));
    const p1 = await s3.send(new UploadPartCommand({ Bucket: 'fleet', Key: 'mp/checked.bin', UploadId, PartNumber: 1, Body: patternBytes(1000, 1) }));
    const p2 = await s3.send(new UploadPartCommand({ Bucket: 'fleet', Key: 'mp/checked.bin', UploadId, PartNumber: 2, Body: patternBytes(1000, 2) }));
    const complete = (Parts: { ETag: string; PartNumber: number }[]) =>
      s3Failure(s3.send(new CompleteMultipartUploadCommand({ Bucket: 'fleet', Key: 'mp/checked.bin', UploadId, MultipartUpload: { Parts } })));
    expect((await complete([{ ETag: '"00000000000000000000000000000000"', PartNumber: 1 }])).name).toBe('InvalidPart');
    expect((await complete([{ ETag: p1.ETag!, PartNumber: 3 }])).name).toBe('InvalidPart');
    const order = await complete([
      { ETag: p2.ETag!, PartNumber: 2 },
      { ETag: p1.ETag!, PartNumber: 1 },
    ]);
    expect([order.name, order.$metadata.httpStatusCode]).toEqual(['InvalidPartOrder', 400]);
    expect(
      (
        await complete([
          { ETag: p1.ETag!, PartNumber: 1 },
          { ETag: p2.ETag!, PartNumber: 2 },
        ])
      ).name,
    ).toBe('EntityTooSmall');
    // A single small part is a whole object: the minimum applies to all parts but the last.
    const one = await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'fleet', Key: 'mp/checked.bin', UploadId, MultipartUpload: { Parts: [{ ETag: p1.ETag!, PartNumber: 1 }] } }));
    expect(one.ETag).toMatch(/-1"$/);
  });

  it('AbortMultipartUpload removes the upload and its parts; ListMultipartUploads filters by prefix', async () => {
    const a = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'fleet', Key: 'abort/one.bin' }));
    const b = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'fleet', Key: 'keep/two.bin' }));
    await s3.send(new UploadPartCommand({ Bucket: 'fleet', Key: 'abort/one.bin', UploadId: a.UploadId, PartNumber: 1, Body: 'part' }));
    expect(((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'fleet', Prefix: 'abort/' }))).Uploads ?? []).map((u) => u.UploadId)).toEqual([a.UploadId]);
    const abort = await s3.send(new AbortMultipartUploadCommand({ Bucket: 'fleet', Key: 'abort/one.bin', UploadId: a.UploadId }));
    expect(abort.$metadata.httpStatusCode).toBe(204);
    expect((await s3Failure(s3.send(new ListPartsCommand({ Bucket: 'fleet', Key: 'abort/one.bin', UploadId: a.UploadId })))).name).toBe('NoSuchUpload');
    expect((await s3Failure(s3.send(new AbortMultipartUploadCommand({ Bucket: 'fleet', Key: 'abort/one.bin', UploadId: a.UploadId })))).name).toBe('NoSuchUpload');
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'fleet', Prefix: 'abort/' }))).Uploads ?? []).toEqual([]);
    // Two uploads of one key and one of another, so paging needs both markers.
    await s3.send(new CreateMultipartUploadCommand({ Bucket: 'fleet', Key: 'keep/two.bin' }));
    await s3.send(new CreateMultipartUploadCommand({ Bucket: 'fleet', Key: 'keep/three.bin' }));
    const all = (await s3.send(new ListMultipartUploadsCommand({ Bucket: 'fleet' }))).Uploads ?? [];
    expect(all.map((u) => u.UploadId)).toContain(b.UploadId);
    expect(all.length).toBeGreaterThanOrEqual(3);
    // Page by page (max-uploads 1): the markers walk every upload once, in key order.
    const paged: string[] = [];
    let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
    for (let page = 0; page < 20; page++) {
      const res = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'fleet', MaxUploads: 1, ...markers }));
      paged.push(...(res.Uploads ?? []).map((u) => u.UploadId!));
      if (!res.IsTruncated) break;
      markers = { KeyMarker: res.NextKeyMarker!, UploadIdMarker: res.NextUploadIdMarker! };
    }
    expect(paged).toEqual(all.map((u) => u.UploadId));
    const state = await sim.state();
    expect(state.uploadsInProgress.map((u) => u.key)).toContain('keep/two.bin');
    expect(state.requests['AbortMultipartUpload']).toBeGreaterThanOrEqual(2);
  });

  it('SigV4 is verified: the right secret passes every call above; a wrong secret is 403 SignatureDoesNotMatch', async () => {
    const wrong = sim.client({ credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: 'not-the-secret' } });
    const err = await s3Failure(wrong.send(new GetObjectCommand({ Bucket: 'fleet', Key: 'list/c' })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['SignatureDoesNotMatch', 403]);
    // Keys that need escaping in the path and a query with several parameters sign the same way on both ends.
    await s3.send(new PutObjectCommand({ Bucket: 'fleet', Key: "odd/ä ö+(1)*!'~.bin", Body: 'x' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'fleet', Prefix: 'odd/ä ö+(', StartAfter: 'odd/', MaxKeys: 5 }));
    expect((listed.Contents ?? []).map((c) => c.Key)).toEqual(["odd/ä ö+(1)*!'~.bin"]);
  });

  it('a request signed with another access key is InvalidAccessKeyId', async () => {
    const other = sim.client({ credentials: { accessKeyId: 'someone-else', secretAccessKey: 'x' } });
    const err = await s3Failure(other.send(new HeadObjectCommand({ Bucket: 'fleet', Key: 'list/c' })));
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect((await s3Failure(other.send(new GetObjectCommand({ Bucket: 'fleet', Key: 'list/c' })))).name).toBe('InvalidAccessKeyId');
  });
});

describe('ListObjects V1 (rclone lists with it for providers other than AWS)', () => {
  it('pages with marker and NextMarker over common prefixes, each key or prefix once', async () => {
    for (const Key of ['v1/a/1', 'v1/a/2', 'v1/b', 'v1/c/1', 'v1/d']) await s3.send(new PutObjectCommand({ Bucket: 'fleet', Key, Body: 'x' }));
    const seen: string[] = [];
    let Marker: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await s3.send(new ListObjectsCommand({ Bucket: 'fleet', Prefix: 'v1/', Delimiter: '/', MaxKeys: 2, Marker }));
      seen.push(...(res.CommonPrefixes ?? []).map((p) => p.Prefix!), ...(res.Contents ?? []).map((c) => c.Key!));
      if (!res.IsTruncated) break;
      Marker = res.NextMarker;
    }
    expect(seen.sort()).toEqual(['v1/a/', 'v1/b', 'v1/c/', 'v1/d']);
    const flat = await s3.send(new ListObjectsCommand({ Bucket: 'fleet', Prefix: 'v1/', Marker: 'v1/a/1' }));
    expect((flat.Contents ?? []).map((c) => c.Key)).toEqual(['v1/a/2', 'v1/b', 'v1/c/1', 'v1/d']);
  });
});
