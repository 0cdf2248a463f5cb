import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExpectedContent, type Target } from '@filesync/core';
import { type MultipartRecords, openCatalog, openMultipartRecords } from '@filesync/store';
import { createS3Target, type S3Target } from '../s3-target';
import type { S3TargetOptions } from '../options';
import { S3RVER_CREDENTIALS, type RunningS3rver } from './s3rver-server';

export const MIB = 2 ** 20;

/** A catalog file (migrated by the real `openCatalog`) in a temp dir, as the agent leaves it before links start. */
export async function tempCatalog(): Promise<{ path: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fs-s3-catalog-'));
  const path = join(dir, 'catalog.db');
  openCatalog(path).catalog.close();
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Target options against a running s3rver; small parts keep tests quick (the config's 5 MiB floor is not applied here). */
export function s3rverOptions(server: RunningS3rver, records: MultipartRecords, overrides: Partial<S3TargetOptions> = {}): S3TargetOptions {
  return {
    id: 's3',
    endpoint: server.endpoint,
    region: 'us-east-1',
    bucket: server.bucket,
    prefix: 'fleet/',
    ...S3RVER_CREDENTIALS,
    partSize: 5 * MIB,
    // One part at a time: these specs cut the stream once N parts are recorded, which needs the reader
    // to wait for each part's answer. The specs of several parts in flight set it (s3-simulator.spec.ts).
    partConcurrency: 1,
    multipartThreshold: 6 * MIB,
    collision: 'rename',
    staleUploadMs: 3600_000,
    timeoutMs: 30_000,
    maxAttempts: 1,
    records,
    ...overrides,
  };
}

export function openS3Target(server: RunningS3rver, catalogPath: string, overrides: Partial<S3TargetOptions> = {}): S3Target {
  return createS3Target(s3rverOptions(server, openMultipartRecords(catalogPath), overrides));
}

export function content(size: number): { bytes: Buffer; expected: ExpectedContent } {
  const bytes = randomBytes(size);
  return { bytes, expected: { size, sha256: createHash('sha256').update(bytes).digest('hex') } };
}

/** The bytes as a stream of 256 KiB chunks (as staging reads them), from `offset`. */
export async function* chunks(bytes: Uint8Array, offset = 0, chunk = 256 * 1024): AsyncGenerator<Uint8Array> {
  for (let at = offset; at < bytes.length; at += chunk) yield bytes.subarray(at, Math.min(bytes.length, at + chunk));
}

/** The pipeline's upload step in short: resume from `partialSize`, write, commit. */
export async function upload(target: Target, path: string, bytes: Uint8Array, expected: ExpectedContent): Promise<{ receipt: Awaited<ReturnType<Target['commit']>>; from: number }> {
  const from = await target.partialSize(path);
  if (from < bytes.length || bytes.length === 0) await target.write(path, from, chunks(bytes, from), { expected });
  return { receipt: await target.commit(path, expected), from };
}

export async function readAll(target: Target, path: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of target.read!(path)) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}
