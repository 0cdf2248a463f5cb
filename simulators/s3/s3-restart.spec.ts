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
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { patternBytes } from '@filesync/core';
import { afterEach, expect, it } from 'vitest';
import { type S3SimProcess, startS3SimProcess } from './testing/s3-sim-process';

const MiB = 1024 * 1024;
const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

let root = '';
const started: S3SimProcess[] = [];

afterEach(async () => {
  for (const s of started.splice(0)) await s.stop('SIGKILL');
  if (root) await rm(root, { recursive: true, force: true });
});

it('SIGKILL mid-upload: restarted on the same root, ListParts shows both parts and the upload completes byte-identical', async () => {
  root = await mkdtemp(join(tmpdir(), 'fs-s3-restart-'));
  const first = await startS3SimProcess(root);
  started.push(first);
  const s3a = first.client();
  await s3a.send(new CreateBucketCommand({ Bucket: 'fleet' }));
  await s3a.send(new PutObjectCommand({ Bucket: 'fleet', Key: 'small.txt', Body: 'before the kill', Metadata: { sha256: 'x1' } }));
  const data = patternBytes(10 * MiB + 777, 21);
  const chunks = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB, 10 * MiB), data.subarray(10 * MiB)];
  const { UploadId } = await s3a.send(new CreateMultipartUploadCommand({ Bucket: 'fleet', Key: 'flight/video.mp4', Metadata: { sha256: 'cafe' } }));
  const etags: string[] = [];
  for (const i of [0, 1]) etags.push((await s3a.send(new UploadPartCommand({ Bucket: 'fleet', Key: 'flight/video.mp4', UploadId, PartNumber: i + 1, Body: chunks[i] }))).ETag!);

  await first.stop('SIGKILL');
  expect(first.sim.child.signalCode).toBe('SIGKILL');

  const second = await startS3SimProcess(root);
  started.push(second);
  const s3b = second.client();
  const uploads = (await s3b.send(new ListMultipartUploadsCommand({ Bucket: 'fleet' }))).Uploads ?? [];
  expect(uploads.map((u) => [u.Key, u.UploadId])).toEqual([['flight/video.mp4', UploadId]]);
  const parts = await s3b.send(new ListPartsCommand({ Bucket: 'fleet', Key: 'flight/video.mp4', UploadId }));
  expect((parts.Parts ?? []).map((p) => [p.PartNumber, p.ETag, p.Size])).toEqual([
    [1, `"${md5(chunks[0]!)}"`, 5 * MiB],
    [2, `"${md5(chunks[1]!)}"`, 5 * MiB],
  ]);
  etags.push((await s3b.send(new UploadPartCommand({ Bucket: 'fleet', Key: 'flight/video.mp4', UploadId, PartNumber: 3, Body: chunks[2] }))).ETag!);
  await s3b.send(new CompleteMultipartUploadCommand({ Bucket: 'fleet', Key: 'flight/video.mp4', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
  const got = await s3b.send(new GetObjectCommand({ Bucket: 'fleet', Key: 'flight/video.mp4' }));
  expect([got.ContentLength, got.Metadata?.['sha256']]).toEqual([data.length, 'cafe']);
  expect(md5(await got.Body!.transformToByteArray())).toBe(md5(data));
  expect((await s3b.send(new HeadObjectCommand({ Bucket: 'fleet', Key: 'small.txt' }))).Metadata).toEqual({ sha256: 'x1' });
});

it('runs as a process: CLI fault flags apply from the first request', async () => {
  root = await mkdtemp(join(tmpdir(), 'fs-s3-cli-'));
  const sim = await startS3SimProcess(root, ['--fault-5xx', '1']);
  started.push(sim);
  const err = await sim
    .client({ maxAttempts: 1 })
    .send(new CreateBucketCommand({ Bucket: 'cli' }))
    .catch((e: { name: string }) => e);
  expect((err as { name: string }).name).toBe('InternalError');
  await sim.client().send(new CreateBucketCommand({ Bucket: 'cli' }));
  expect((await sim.state()).requests['CreateBucket']).toBe(2);
});
