import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { type FilesyncError, TransientError, classifyError } from '@filesync/core';
import { type S3Credentials, resolveCredentials } from './credentials';
import { classify, isNoSuchUpload, isNotFound, isNotOffered, isPreconditionFailed, s3ErrorOf } from './errors';
import type { S3TargetOptions } from './options';

export interface ObjectHead {
  readonly size: number;
  /** Our `x-amz-meta-sha256`, when the object has it. */
  readonly sha256: string | undefined;
  readonly etag: string | undefined;
}

export interface ListedUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: Date | undefined;
}

export interface ListedPart {
  readonly partNumber: number;
  readonly size: number;
  readonly etag: string;
}

/** Pages read of one listing at most (1,000 entries each): a listing always ends. */
const MAX_PAGES = 100;

/**
 * The S3 calls the target makes, as plain data in and out, each error classified. This module is
 * the only one that imports the AWS SDK, and the device module is loaded only by the link of an S3
 * target: other threads never pay for the SDK.
 */
export class ObjectStore {
  private readonly client: S3Client;
  readonly where: { bucket: string; endpoint: string };

  /** A credential the config names but that cannot be had: every call fails with it (files fail with the reason), the link does not crash-loop. */
  private readonly unusable: FilesyncError | undefined;

  constructor(private readonly options: S3TargetOptions) {
    let credentials: S3Credentials | undefined;
    try {
      credentials = resolveCredentials(options);
    } catch (err) {
      this.unusable = classifyError(err);
    }
    this.where = { bucket: options.bucket, endpoint: options.endpoint ?? `AWS S3 (${options.region})` };
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      ...(credentials === undefined ? {} : { credentials }),
      maxAttempts: options.maxAttempts ?? 3,
      // Each command class's middleware stack is resolved once, not on every send (about 0.4 ms of CPU
      // a request): nothing here adds middleware to one command. Only sends without options use it,
      // so a call without a signal passes none.
      cacheMiddleware: true,
      // The SDK's default CRC32 trailers (aws-chunked bodies) are refused by many S3-compatible
      // stores; we send Content-MD5 on every part ourselves, which they all check.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { requestTimeout: options.timeoutMs, connectionTimeout: Math.min(options.timeoutMs, 10_000) },
    });
  }

  /** Every request goes through here. */
  private send: S3Client['send'] = ((...args: Parameters<S3Client['send']>) => {
    if (this.unusable) return Promise.reject(this.unusable);
    return this.client.send(...args);
  }) as S3Client['send'];

  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw classify(err, this.where);
    }
  }

  /**
   * HeadBucket: the bucket is there and these credentials may use it. Its 404 and 403 carry no body
   * (the SDK names them NotFound / Forbidden), so they are mapped here to the bucket's own codes.
   */
  async probe(): Promise<void> {
    try {
      await this.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
    } catch (err) {
      const s3 = s3ErrorOf(err);
      if (s3?.status === 404) throw classify(Object.assign(err as object, { name: 'NoSuchBucket' }), this.where);
      if (s3?.status === 403 || s3?.status === 401) throw classify(Object.assign(err as object, { name: 'AccessDenied' }), this.where);
      throw classify(err, this.where);
    }
  }

  /** The object at `key`, or undefined when there is none. */
  async head(key: string, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    try {
      const out = await this.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }), signal ? { abortSignal: signal } : undefined);
      return { size: out.ContentLength ?? 0, sha256: out.Metadata?.['sha256'], etag: out.ETag };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw classify(err, this.where);
    }
  }

  put(key: string, body: Buffer, meta: { sha256: string; md5: string }, signal?: AbortSignal): Promise<string | undefined> {
    return this.call(() => this.putObject(key, body, meta, {}, signal));
  }

  /** PutObject of a whole body with its Content-MD5 and our sha256 metadata; the store's ETag. */
  private async putObject(key: string, body: Buffer, meta: { sha256: string; md5: string }, condition: { IfNoneMatch?: '*' }, signal?: AbortSignal): Promise<string | undefined> {
    const out = await this.send(
      new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body, ContentLength: body.length, ContentMD5: meta.md5, Metadata: { sha256: meta.sha256 }, ...condition }),
      signal ? { abortSignal: signal } : undefined,
    );
    return out.ETag;
  }

  /**
   * PutObject with `If-None-Match: *`: `taken` when the store refuses because the key holds an object
   * (412). A store that ignores the header (s3rver, older ones) overwrites instead: see `conditional-puts.ts`.
   */
  putIfAbsent(key: string, body: Buffer, meta: { sha256: string; md5: string }): Promise<{ taken: true } | { taken: false; etag: string | undefined }> {
    return this.call(async () => {
      try {
        return { taken: false, etag: await this.putObject(key, body, meta, { IfNoneMatch: '*' }) };
      } catch (err) {
        if (isPreconditionFailed(err)) return { taken: true };
        throw err;
      }
    });
  }

  create(key: string, sha256: string, signal?: AbortSignal): Promise<string> {
    return this.call(async () => {
      const out = await this.send(new CreateMultipartUploadCommand({ Bucket: this.options.bucket, Key: key, Metadata: { sha256 } }), signal ? { abortSignal: signal } : undefined);
      if (!out.UploadId) throw new TransientError('busy', `${this.where.endpoint} started a multipart upload of ${key} without an upload id`);
      return out.UploadId;
    });
  }

  uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer, md5: string, signal?: AbortSignal): Promise<string> {
    return this.call(async () => {
      const out = await this.send(
        new UploadPartCommand({ Bucket: this.options.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length, ContentMD5: md5 }),
        signal ? { abortSignal: signal } : undefined,
      );
      if (!out.ETag) throw new TransientError('busy', `${this.where.endpoint} acknowledged part ${partNumber} of ${key} without an ETag`);
      return out.ETag;
    });
  }

  /**
   * CompleteMultipartUpload. A 200 whose body is an `<Error>` (Ceph RGW, and AWS itself when it fails
   * after sending 200) is turned into a 503 by the SDK's throw-200-exceptions middleware, so it
   * rejects like any 5xx; a 200 whose body has no result at all (no ETag) is not taken as success either.
   */
  complete(key: string, uploadId: string, parts: readonly ListedPart[], signal?: AbortSignal): Promise<string> {
    return this.call(async () => {
      const out = await this.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.options.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
        signal ? { abortSignal: signal } : undefined,
      );
      if (!out.ETag) throw new TransientError('busy', `${this.where.endpoint} answered CompleteMultipartUpload of ${key} without a result; will check and retry`);
      return out.ETag;
    });
  }

  /** Aborts an upload: `gone` when the store no longer had it, `not-offered` when it has no AbortMultipartUpload (s3rver). */
  async abort(key: string, uploadId: string): Promise<'aborted' | 'gone' | 'not-offered'> {
    try {
      await this.send(new AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: key, UploadId: uploadId }));
      return 'aborted';
    } catch (err) {
      if (isNoSuchUpload(err)) return 'gone';
      if (isNotOffered(err)) return 'not-offered';
      throw classify(err, this.where);
    }
  }

  /** The parts the store holds for an upload, by part number; `gone` after NoSuchUpload, `not-offered` without ListParts. */
  async listParts(key: string, uploadId: string): Promise<ListedPart[] | 'gone' | 'not-offered'> {
    try {
      return await this.listPartsPages(key, uploadId);
    } catch (err) {
      if (isNoSuchUpload(err)) return 'gone';
      if (isNotOffered(err)) return 'not-offered';
      throw classify(err, this.where);
    }
  }

  /** Unfinished uploads under `prefix`; `not-offered` without ListMultipartUploads. */
  async listUploads(prefix: string): Promise<ListedUpload[] | 'not-offered'> {
    try {
      return await this.listUploadPages(prefix);
    } catch (err) {
      if (isNotOffered(err)) return 'not-offered';
      throw classify(err, this.where);
    }
  }

  private async listPartsPages(key: string, uploadId: string): Promise<ListedPart[]> {
    const parts: ListedPart[] = [];
    let marker: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await this.send(
        new ListPartsCommand({ Bucket: this.options.bucket, Key: key, UploadId: uploadId, ...(marker === undefined ? {} : { PartNumberMarker: marker }) }),
      );
      for (const p of out.Parts ?? []) {
        if (p.PartNumber !== undefined && p.ETag !== undefined) parts.push({ partNumber: p.PartNumber, size: p.Size ?? 0, etag: p.ETag });
      }
      if (!out.IsTruncated || out.NextPartNumberMarker === undefined) break;
      marker = out.NextPartNumberMarker;
    }
    return parts;
  }

  private async listUploadPages(prefix: string): Promise<ListedUpload[]> {
    const uploads: ListedUpload[] = [];
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await this.send(
        new ListMultipartUploadsCommand({
          Bucket: this.options.bucket,
          Prefix: prefix,
          ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
          ...(idMarker === undefined ? {} : { UploadIdMarker: idMarker }),
        }),
      );
      for (const u of out.Uploads ?? []) {
        if (u.Key !== undefined && u.UploadId !== undefined) uploads.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated });
      }
      if (!out.IsTruncated) break;
      keyMarker = out.NextKeyMarker;
      idMarker = out.NextUploadIdMarker;
    }
    return uploads;
  }

  async *read(key: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    const out = await this.call(() => this.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }), signal ? { abortSignal: signal } : undefined));
    const body = out.Body as AsyncIterable<Uint8Array> | undefined;
    if (!body) return;
    try {
      for await (const chunk of body) yield chunk;
    } catch (err) {
      throw classify(err, this.where);
    }
  }

  remove(key: string): Promise<void> {
    return this.call(async () => void (await this.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }))));
  }

  close(): void {
    this.client.destroy();
  }
}
