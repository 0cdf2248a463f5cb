import { type Clock, type CollisionPolicy } from '@filesync/core';
import { S3_DEFAULT_PART_CONCURRENCY, S3_DEFAULT_TRANSFERS, S3_MIN_PART_BYTES, type TargetConfig } from '@filesync/core/config';
import type { MultipartRecords } from '@filesync/store';
import type { CredentialSource } from './credentials';

export type S3TargetConfig = Extract<TargetConfig, { type: 's3' }>;

/** A message for the agent's log; never carries a secret. */
export type S3Log = (level: 'info' | 'warn', message: string, detail?: Record<string, unknown>) => void;

export interface S3TargetOptions extends CredentialSource {
  readonly id: string;
  /** The store's URL; undefined for AWS S3. */
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  /** Key prefix every object goes under ("" or e.g. "fleet/"). */
  readonly prefix: string;
  /** Default: true when `endpoint` is set (self-hosted stores seldom have per-bucket host names). */
  readonly forcePathStyle?: boolean;
  /** Parts of a multipart upload (all but the last). The config enforces ≥ 5 MiB; tests may go lower. */
  readonly partSize: number;
  /**
   * Parts of one upload in flight at once (each a `partSize` buffer). A power cut costs at most the
   * parts in flight: bytes sent again per cut ≤ partSize × partConcurrency. Default
   * `S3_DEFAULT_PART_CONCURRENCY` (the config's default).
   */
  readonly partConcurrency?: number;
  /** Files sent at once (the target's `parallelism`). Default `S3_DEFAULT_TRANSFERS` (the config's default). */
  readonly transfers?: number;
  /** Files of at least this many bytes go as multipart uploads. */
  readonly multipartThreshold: number;
  readonly collision: CollisionPolicy;
  /** An upload of this target untouched for this long is aborted at start. */
  readonly staleUploadMs: number;
  readonly timeoutMs: number;
  /** Where the multipart uploads and their parts are recorded (the catalog). */
  readonly records: MultipartRecords;
  readonly clock?: Clock;
  readonly log?: S3Log;
  /** SDK-level tries per request (default 3): parts are buffers, so a retry re-sends the same bytes. */
  readonly maxAttempts?: number;
  /** Start the stale-upload sweep at once (the agent's link), not at the first upload call. */
  readonly sweepAtOpen?: boolean;
}

export const DEFAULT_S3_OPTIONS = {
  region: 'us-east-1',
  prefix: '',
  partSize: 8 * 2 ** 20,
  partConcurrency: S3_DEFAULT_PART_CONCURRENCY,
  transfers: S3_DEFAULT_TRANSFERS,
  multipartThreshold: 16 * 2 ** 20,
  collision: 'rename',
  staleUploadMs: 7 * 24 * 3600_000,
  timeoutMs: 120_000,
} as const satisfies Partial<S3TargetOptions>;

/** S3 allows at most 10,000 parts: a bigger file gets bigger parts (whole MiB), fixed for its upload. */
export function partSizeFor(size: number, configured: number): number {
  const MAX_PARTS = 10_000;
  if (Math.ceil(size / configured) <= MAX_PARTS) return configured;
  return Math.ceil(size / MAX_PARTS / 2 ** 20) * 2 ** 20;
}

export { S3_MIN_PART_BYTES };

export function s3TargetOptionsFromConfig(config: S3TargetConfig, runtime: { records: MultipartRecords; log?: S3Log; clock?: Clock; sweepAtOpen?: boolean }): S3TargetOptions {
  return {
    id: config.id,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    region: config.region,
    bucket: config.bucket,
    prefix: config.prefix,
    ...(config.forcePathStyle === undefined ? {} : { forcePathStyle: config.forcePathStyle }),
    ...(config.accessKeyId === undefined ? {} : { accessKeyId: config.accessKeyId }),
    ...(config.secretAccessKey === undefined ? {} : { secretAccessKey: config.secretAccessKey }),
    ...(config.secretAccessKeyFile === undefined ? {} : { secretAccessKeyFile: config.secretAccessKeyFile }),
    ...(config.secretAccessKeyEnv === undefined ? {} : { secretAccessKeyEnv: config.secretAccessKeyEnv }),
    ...(config.credentialsFile === undefined ? {} : { credentialsFile: config.credentialsFile }),
    profile: config.profile,
    partSize: config.partSize,
    partConcurrency: config.partConcurrency,
    transfers: config.transfers,
    multipartThreshold: config.multipartThreshold,
    collision: config.collision,
    staleUploadMs: config.staleUploadHours * 3600_000,
    timeoutMs: config.timeoutSec * 1000,
    ...runtime,
  };
}

