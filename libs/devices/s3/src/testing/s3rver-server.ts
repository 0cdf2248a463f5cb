import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver, { type S3rverContext, type S3rverMiddleware } from 's3rver';

/**
 * s3rver's own account (lib/models/account.js): any other key is refused with InvalidAccessKeyId.
 * Frozen, and handed to an S3Client only as a copy: the SDK writes `$source` into the credentials
 * object it is given, which would then leak into every config spread from it.
 */
export const S3RVER_CREDENTIALS = Object.freeze({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const);

/** One request the server saw, for tests that count what was sent (bytes re-sent after a crash). */
export interface SeenRequest {
  readonly method: string;
  readonly key: string;
  readonly uploadId: string | undefined;
  readonly partNumber: number | undefined;
  readonly bytes: number;
}

export interface RunningS3rver {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly bucket: string;
  /** s3rver's store directory. */
  readonly directory: string;
  readonly requests: SeenRequest[];
  /** Multipart uploads s3rver holds now (by its own files). */
  openUploads(): Promise<{ key: string; uploadId: string }[]>;
  /** Fault: the server forgets an upload (its parts are gone; later calls on it answer NoSuchUpload). */
  forgetUpload(uploadId: string): Promise<void>;
  /** Fault: the next CompleteMultipartUpload answers 200 with an `<Error>` body, as Ceph RGW can. */
  failNextCompleteWith200(): void;
  stop(): Promise<void>;
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Starts s3rver (an independent S3 implementation, from npm) on 127.0.0.1 with one bucket, plus the
 * three multipart calls it lacks, answered from its own files: ListParts, ListMultipartUploads and
 * AbortMultipartUpload (s3rver 3.7 answers them 405/501), and NoSuchUpload for a part or complete on
 * an unknown upload (s3rver would create the part's folder, or fail with a 500). These extras skip
 * s3rver's signature check; every other call goes through s3rver unchanged.
 */
export async function startS3rver(options: { bucket?: string } = {}): Promise<RunningS3rver> {
  const bucket = options.bucket ?? 'fleet';
  const directory = await mkdtemp(join(tmpdir(), 'fs-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, vhostBuckets: false, configureBuckets: [{ name: bucket }] });
  const uploadsDir = join(directory, bucket, '._S3rver_uploads');
  const requests: SeenRequest[] = [];
  let fail200 = false;

  const uploadKey = async (uploadId: string): Promise<string | undefined> =>
    /^[0-9a-f]+$/.test(uploadId) ? readFile(join(uploadsDir, uploadId, 'key'), 'utf8').catch(() => undefined) : undefined;

  const noSuchUpload = (ctx: S3rverContext, uploadId: string): void => {
    ctx.status = 404;
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${xmlEscape(uploadId)}</UploadId></Error>`;
  };

  const xml = (ctx: S3rverContext, body: string, status = 200): void => {
    ctx.status = status;
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  };

  const extras: S3rverMiddleware = async (ctx, next) => {
    const [, b, ...rest] = ctx.path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const uploadId = one(ctx.query['uploadId']);
    const partNumber = one(ctx.query['partNumber']);
    const length = Number(one(ctx.headers['content-length']) ?? 0);
    if (b === bucket && key !== '') {
      requests.push({ method: ctx.method, key, uploadId, partNumber: partNumber === undefined ? undefined : Number(partNumber), bytes: Number.isFinite(length) ? length : 0 });
    }
    if (b !== bucket) return next();
    if (key === '' && ctx.method === 'GET' && 'uploads' in ctx.query) {
      const prefix = one(ctx.query['prefix']) ?? '';
      const entries = [];
      for (const id of await readdir(uploadsDir).catch(() => [] as string[])) {
        const k = await uploadKey(id);
        if (k === undefined || !k.startsWith(prefix)) continue;
        const initiated = (await stat(join(uploadsDir, id))).birthtime.toISOString();
        entries.push(`<Upload><Key>${xmlEscape(k)}</Key><UploadId>${id}</UploadId><Initiated>${initiated}</Initiated></Upload>`);
      }
      return xml(ctx, `<ListMultipartUploadsResult><Bucket>${bucket}</Bucket><Prefix>${xmlEscape(prefix)}</Prefix><IsTruncated>false</IsTruncated>${entries.join('')}</ListMultipartUploadsResult>`);
    }
    if (key === '' || uploadId === undefined) return next();
    const known = await uploadKey(uploadId);
    if (known === undefined) return noSuchUpload(ctx, uploadId);
    if (ctx.method === 'GET') {
      const dir = join(uploadsDir, uploadId);
      const numbers = (await readdir(dir)).filter((n) => /^\d+$/.test(n)).map(Number).sort((x, y) => x - y);
      const parts = [];
      for (const n of numbers) {
        const md5 = await readFile(join(dir, `${n}.md5`), 'utf8').catch(() => undefined);
        if (md5 === undefined) continue; // a part still being written
        parts.push(`<Part><PartNumber>${n}</PartNumber><ETag>"${md5}"</ETag><Size>${(await stat(join(dir, String(n)))).size}</Size></Part>`);
      }
      return xml(ctx, `<ListPartsResult><Bucket>${bucket}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`);
    }
    if (ctx.method === 'DELETE') {
      await rm(join(uploadsDir, uploadId), { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = '';
      return;
    }
    if (ctx.method === 'POST' && fail200) {
      fail200 = false;
      // Read the request first, as a real server would, then answer 200 with an error document.
      for await (const _chunk of ctx.req) void _chunk;
      return xml(ctx, '<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>');
    }
    return next();
  };
  // In front of s3rver's own middleware (logger, XML encoder, router): Koa composes the list at listen time.
  server.middleware.unshift(extras);
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    directory,
    requests,
    async openUploads() {
      const out = [];
      for (const id of await readdir(uploadsDir).catch(() => [] as string[])) {
        const k = await uploadKey(id);
        if (k !== undefined) out.push({ key: k, uploadId: id });
      }
      return out;
    },
    forgetUpload: (uploadId) => rm(join(uploadsDir, uploadId), { recursive: true, force: true }),
    failNextCompleteWith200: () => void (fail200 = true),
    async stop() {
      await server.close().catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
