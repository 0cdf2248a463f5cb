import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished, pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Credentials, checkCredential } from './auth';
import { listObjectsPage } from './list-objects';
import { ConnectionGone, type ReceivedBody, readSmallBody, receiveBody } from './receive-body';
import { S3Error, s3Errors } from './s3-error';
import type { PartReceiving, SimState } from './sim-state';
import { type S3Store, compareKeys } from './store';
import { errorDocument, parseCompleteBody, unquoteEtag, xmlDocument } from './xml';

export interface S3ApiOptions {
  readonly credentials: Credentials;
  /** Smallest size of every part but the last at CompleteMultipartUpload (AWS: 5 MiB). */
  readonly minPartSize: number;
  /** Where the API is reachable, for `Location` in CompleteMultipartUpload's answer. */
  endpoint(): string;
}

interface S3Request {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly bucket: string;
  readonly key: string;
  readonly query: URLSearchParams;
  readonly requestId: string;
}

const OWNER = { ID: '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a', DisplayName: 'filesync' };

/** The operation a request names, by S3's routing rules (method, key present, sub-resource). */
export function operationOf(method: string, bucket: string, key: string, q: URLSearchParams): string {
  if (bucket === '') return method === 'GET' ? 'ListBuckets' : 'Unsupported';
  if (key === '') {
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'DELETE') return 'DeleteBucket';
    if (method === 'GET' && q.has('uploads')) return 'ListMultipartUploads';
    if (method === 'GET' && q.get('list-type') === '2') return 'ListObjectsV2';
    // rclone lists with V1 for providers other than AWS (`list_version` auto).
    if (method === 'GET' && ![...q.keys()].some((k) => k !== 'prefix' && k !== 'delimiter' && k !== 'marker' && k !== 'max-keys' && k !== 'encoding-type')) return 'ListObjects';
    return 'Unsupported';
  }
  if (method === 'PUT') {
    if (q.has('uploadId') && q.has('partNumber')) return 'UploadPart';
    return 'PutObject';
  }
  if (method === 'GET') return q.has('uploadId') ? 'ListParts' : 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'DELETE') return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
  if (method === 'POST') {
    if (q.has('uploads')) return 'CreateMultipartUpload';
    if (q.has('uploadId')) return 'CompleteMultipartUpload';
  }
  return 'Unsupported';
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function userMetadata(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}

function intParam(q: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = q.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw s3Errors.invalidArgument(`Provided ${name} not an integer or within integer range`, name, raw);
  return Math.min(n, max);
}

function partNumberOf(q: URLSearchParams): number {
  const raw = q.get('partNumber') ?? '';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw s3Errors.invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', raw);
  return n;
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` → inclusive [start, end]; undefined for no (or an ignored) Range. */
export function parseRange(range: string | undefined, size: number): [number, number] | undefined {
  if (range === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  // S3 ignores a Range it cannot parse (multiple ranges included) and sends the whole object.
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw s3Errors.invalidRange(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
  }
  if (start >= size) throw s3Errors.invalidRange(size);
  return [start, end];
}

/** The ETag of a multipart object: MD5 of the parts' binary MD5s, then `-N`. */
export function multipartEtag(partEtags: readonly string[]): string {
  const md5 = createHash('md5');
  for (const e of partEtags) md5.update(Buffer.from(unquoteEtag(e), 'hex'));
  return `"${md5.digest('hex')}-${partEtags.length}"`;
}

/** Flips one byte of a stored file in place (the `corruptDataTimes` fault). */
async function flipAByte(path: string, size: number): Promise<void> {
  if (size === 0) return;
  const fh = await open(path, 'r+');
  try {
    const at = Math.floor(size / 2);
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, at);
  } finally {
    await fh.close();
  }
}

/** Lets an unread request body go by before answering, so the client reads the answer rather than a reset. */
async function drain(req: IncomingMessage): Promise<void> {
  if (req.complete || req.destroyed) return;
  req.resume();
  await finished(req).catch(() => undefined);
}

/** The S3 API on node:http, path-style (`/BUCKET/KEY`). */
export function createS3Handler(store: S3Store, state: SimState, options: S3ApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const bandwidth = (): number | null => state.faults.bandwidthBytesPerSec;
  const base = (r: S3Request): Record<string, string> => ({ 'x-amz-request-id': r.requestId, 'x-amz-id-2': r.requestId, server: 'filesync-s3-simulator' });

  const sendXml = (r: S3Request, status: number, xml: string, headers: Record<string, string> = {}): void => {
    r.res.writeHead(status, { ...base(r), 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(xml)), ...headers });
    r.res.end(xml);
  };

  const sendEmpty = (r: S3Request, status: number, headers: Record<string, string> = {}): void => {
    r.res.writeHead(status, { ...base(r), 'content-length': '0', ...headers });
    r.res.end();
  };

  const sendError = (r: S3Request, err: S3Error): void => {
    state.countError(err.code);
    // A HEAD answer has no body: the client sees the status only (the SDK names a 404 `NotFound`).
    if (r.req.method === 'HEAD') return sendEmpty(r, err.status);
    sendXml(r, err.status, errorDocument(err.code, err.message, err.fields, r.requestId));
  };

  const objectHeaders = (rec: ReturnType<S3Store['getObject']>): Record<string, string> => ({
    etag: rec.etag,
    'last-modified': httpDate(rec.lastModified),
    'content-type': rec.contentType,
    'accept-ranges': 'bytes',
    ...rec.metadata,
  });

  async function putObject(r: S3Request): Promise<void> {
    if (header(r.req, 'x-amz-copy-source') !== undefined) throw s3Errors.notImplemented('CopyObject');
    // AWS takes only `*` on a write: create the key, never replace an object.
    const ifNoneMatch = header(r.req, 'if-none-match');
    if (ifNoneMatch !== undefined && (ifNoneMatch !== '*' || state.take('conditionalRefusedTimes'))) throw s3Errors.notImplemented(`If-None-Match: ${ifNoneMatch} on PutObject`);
    const path = await store.incomingObjectPath(r.bucket, r.key);
    const body = await receiveBody(r.req, path, { onBytes: (n) => state.countBytes(r.bucket, r.key, n), bandwidth });
    const etag = await storedEtag(path, body.size, body.md5);
    await store.putObject(r.bucket, { key: r.key, size: body.size, etag, contentType: header(r.req, 'content-type') ?? 'binary/octet-stream', metadata: userMetadata(r.req) }, path, {
      ifAbsent: ifNoneMatch === '*',
    });
    sendEmpty(r, 200, { etag });
  }

  /** The ETag to record and answer for received bytes, after the corrupting faults had their say. */
  async function storedEtag(path: string, size: number, md5: Buffer): Promise<string> {
    if (state.take('corruptDataTimes')) await flipAByte(path, size);
    if (state.take('wrongEtagTimes')) return `"${createHash('md5').update(md5).update('wrong').digest('hex')}"`;
    return `"${md5.toString('hex')}"`;
  }

  /** The `forgetUploadTimes` fault: an existing upload is lost just before this request uses it. */
  async function maybeForget(r: S3Request, uploadId: string): Promise<void> {
    try {
      store.uploadRecord(r.bucket, r.key, uploadId);
    } catch {
      return;
    }
    if (state.take('forgetUploadTimes')) await store.removeUpload(r.bucket, r.key, uploadId);
  }

  async function uploadPart(r: S3Request): Promise<void> {
    const uploadId = r.query.get('uploadId') ?? '';
    const partNumber = partNumberOf(r.query);
    await maybeForget(r, uploadId);
    const path = await store.incomingPartPath(r.bucket, r.key, uploadId, partNumber);
    const drop = state.faults.dropPartAfterBytes !== null && state.take('dropPartTimes') ? state.faults.dropPartAfterBytes : undefined;
    const declared = Number(header(r.req, 'x-amz-decoded-content-length') ?? header(r.req, 'content-length'));
    const part: PartReceiving = { bucket: r.bucket, key: r.key, uploadId, partNumber, received: 0, declared: Number.isFinite(declared) ? declared : null, startedAt: Date.now() };
    state.receiving.add(part);
    let body: ReceivedBody;
    try {
      body = await receiveBody(r.req, path, {
        onBytes: (n) => {
          state.countBytes(r.bucket, r.key, n);
          part.received += n;
        },
        bandwidth,
        ...(drop === undefined ? {} : { dropAfterBytes: drop }),
      });
    } finally {
      state.receiving.delete(part);
    }
    const etag = await storedEtag(path, body.size, body.md5);
    await store.putPart(r.bucket, r.key, uploadId, { partNumber, size: body.size, etag }, path);
    sendEmpty(r, 200, { etag });
  }

  async function completeUpload(r: S3Request): Promise<void> {
    const uploadId = r.query.get('uploadId') ?? '';
    await maybeForget(r, uploadId);
    store.uploadRecord(r.bucket, r.key, uploadId);
    const requested = parseCompleteBody(await readSmallBody(r.req));
    if (!requested) throw s3Errors.malformedXml();
    if (state.take('completeErrorBodyTimes')) {
      // Ceph RGW: the 200 and its headers go out before the work; a failure then arrives as the body.
      const err = s3Errors.internalError();
      state.countError(err.code);
      return sendXml(r, 200, errorDocument(err.code, err.message, err.fields, r.requestId));
    }
    const parts = new Map(store.listParts(r.bucket, r.key, uploadId).map((p) => [p.partNumber, p]));
    // The list as a whole first (order, then each part), sizes last: a list in the wrong order is
    // InvalidPartOrder whatever its parts' sizes.
    for (let i = 1; i < requested.length; i++) if (requested[i]!.partNumber <= requested[i - 1]!.partNumber) throw s3Errors.invalidPartOrder();
    for (const want of requested) {
      const have = parts.get(want.partNumber);
      if (!have || unquoteEtag(have.etag) !== want.etag) throw s3Errors.invalidPart(want.partNumber);
    }
    for (const want of requested.slice(0, -1)) {
      const size = parts.get(want.partNumber)!.size;
      if (size < options.minPartSize) throw s3Errors.entityTooSmall(size, options.minPartSize);
    }
    const etag = multipartEtag(requested.map((p) => parts.get(p.partNumber)!.etag));
    await store.completeUpload(r.bucket, r.key, uploadId, requested.map((p) => p.partNumber), etag);
    const location = `${options.endpoint()}/${r.bucket}/${r.key.split('/').map(encodeURIComponent).join('/')}`;
    sendXml(r, 200, xmlDocument('CompleteMultipartUploadResult', { Location: location, Bucket: r.bucket, Key: r.key, ETag: etag }));
  }

  /** Streams stored bytes; a file gone under the read (a DELETE racing a GET) cuts the connection rather than the process. */
  function sendFile(r: S3Request, path: string, range?: { start: number; end: number }): void {
    void pipeline(createReadStream(path, range), r.res).catch(() => r.res.destroy());
  }

  function getObject(r: S3Request, head: boolean): void {
    const rec = store.getObject(r.bucket, r.key);
    const range = head ? undefined : parseRange(header(r.req, 'range'), rec.size);
    if (!range) {
      r.res.writeHead(200, { ...base(r), ...objectHeaders(rec), 'content-length': String(rec.size) });
      if (head || rec.size === 0) return void r.res.end();
      return sendFile(r, store.objectDataPath(r.bucket, rec));
    }
    const [start, end] = range;
    r.res.writeHead(206, { ...base(r), ...objectHeaders(rec), 'content-length': String(end - start + 1), 'content-range': `bytes ${start}-${end}/${rec.size}` });
    sendFile(r, store.objectDataPath(r.bucket, rec), { start, end });
  }

  function listObjectsV2(r: S3Request): void {
    const prefix = r.query.get('prefix') ?? '';
    const delimiter = r.query.get('delimiter') ?? '';
    const maxKeys = intParam(r.query, 'max-keys', 1000, 1000);
    const token = r.query.get('continuation-token') ?? undefined;
    const startAfter = r.query.get('start-after') ?? '';
    const urlEncode = r.query.get('encoding-type') === 'url';
    const enc = (s: string): string => (urlEncode ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
    const page = listObjectsPage(store.listObjects(r.bucket, prefix), { prefix, delimiter, maxKeys, continuationToken: token, startAfter });
    sendXml(
      r,
      200,
      xmlDocument('ListBucketResult', {
        Name: r.bucket,
        Prefix: enc(prefix),
        Delimiter: delimiter === '' ? undefined : enc(delimiter),
        StartAfter: startAfter === '' ? undefined : enc(startAfter),
        ContinuationToken: token,
        NextContinuationToken: page.nextContinuationToken,
        KeyCount: page.contents.length + page.commonPrefixes.length,
        MaxKeys: maxKeys,
        EncodingType: urlEncode ? 'url' : undefined,
        IsTruncated: page.isTruncated,
        Contents: page.contents.map((o) => ({ Key: enc(o.key), LastModified: o.lastModified, ETag: o.etag, Size: o.size, StorageClass: 'STANDARD' })),
        CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
      }),
    );
  }

  /** ListObjects (V1): `marker` where V2 has start-after; `NextMarker` only with a delimiter, as S3 sends it. */
  function listObjectsV1(r: S3Request): void {
    const prefix = r.query.get('prefix') ?? '';
    const delimiter = r.query.get('delimiter') ?? '';
    const maxKeys = intParam(r.query, 'max-keys', 1000, 1000);
    const marker = r.query.get('marker') ?? '';
    const urlEncode = r.query.get('encoding-type') === 'url';
    const enc = (s: string): string => (urlEncode ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
    const page = listObjectsPage(store.listObjects(r.bucket, prefix), { prefix, delimiter, maxKeys, continuationToken: undefined, startAfter: marker, markerSkipsItsPrefix: true });
    const lastKey = page.contents[page.contents.length - 1]?.key ?? '';
    const lastPrefix = page.commonPrefixes[page.commonPrefixes.length - 1] ?? '';
    const next = compareKeys(lastKey, lastPrefix) > 0 ? lastKey : lastPrefix;
    sendXml(
      r,
      200,
      xmlDocument('ListBucketResult', {
        Name: r.bucket,
        Prefix: enc(prefix),
        Marker: enc(marker),
        NextMarker: page.isTruncated && delimiter !== '' ? enc(next) : undefined,
        MaxKeys: maxKeys,
        Delimiter: delimiter === '' ? undefined : enc(delimiter),
        EncodingType: urlEncode ? 'url' : undefined,
        IsTruncated: page.isTruncated,
        Contents: page.contents.map((o) => ({ Key: enc(o.key), LastModified: o.lastModified, ETag: o.etag, Size: o.size, Owner: OWNER, StorageClass: 'STANDARD' })),
        CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
      }),
    );
  }

  function listMultipartUploads(r: S3Request): void {
    const prefix = r.query.get('prefix') ?? '';
    const maxUploads = intParam(r.query, 'max-uploads', 1000, 1000);
    const keyMarker = r.query.get('key-marker') ?? '';
    const idMarker = r.query.get('upload-id-marker') ?? '';
    const all = store.listUploads(r.bucket, prefix);
    // Without upload-id-marker, key-marker skips that key's uploads. With it, the list goes on after that
    // upload (uploads of one key are listed by initiation, so a lexical upload-id rule would skip some);
    // an upload no longer there falls back to AWS's rule: same key, greater upload id.
    const at = idMarker === '' ? -1 : all.findIndex((u) => u.key === keyMarker && u.uploadId === idMarker);
    const start =
      keyMarker === ''
        ? 0
        : at >= 0
          ? at + 1
          : all.findIndex((u) => compareKeys(u.key, keyMarker) > 0 || (u.key === keyMarker && idMarker !== '' && u.uploadId > idMarker));
    const rest = start < 0 ? [] : all.slice(start);
    const page = rest.slice(0, maxUploads);
    const truncated = rest.length > page.length;
    const last = page[page.length - 1];
    sendXml(
      r,
      200,
      xmlDocument('ListMultipartUploadsResult', {
        Bucket: r.bucket,
        KeyMarker: keyMarker,
        UploadIdMarker: idMarker,
        NextKeyMarker: truncated ? last?.key : undefined,
        NextUploadIdMarker: truncated ? last?.uploadId : undefined,
        Prefix: prefix,
        MaxUploads: maxUploads,
        IsTruncated: truncated,
        Upload: page.map((u) => ({ Key: u.key, UploadId: u.uploadId, Initiator: OWNER, Owner: OWNER, StorageClass: 'STANDARD', Initiated: u.initiated })),
      }),
    );
  }

  function listParts(r: S3Request): void {
    const uploadId = r.query.get('uploadId') ?? '';
    const maxParts = intParam(r.query, 'max-parts', 1000, 1000);
    const marker = intParam(r.query, 'part-number-marker', 0, 10_000);
    const rest = store.listParts(r.bucket, r.key, uploadId).filter((p) => p.partNumber > marker);
    const page = rest.slice(0, maxParts);
    const truncated = rest.length > page.length;
    sendXml(
      r,
      200,
      xmlDocument('ListPartsResult', {
        Bucket: r.bucket,
        Key: r.key,
        UploadId: uploadId,
        Initiator: OWNER,
        Owner: OWNER,
        StorageClass: 'STANDARD',
        PartNumberMarker: marker,
        NextPartNumberMarker: page[page.length - 1]?.partNumber ?? marker,
        MaxParts: maxParts,
        IsTruncated: truncated,
        Part: page.map((p) => ({ PartNumber: p.partNumber, LastModified: p.lastModified, ETag: p.etag, Size: p.size })),
      }),
    );
  }

  async function dispatch(r: S3Request, operation: string): Promise<void> {
    switch (operation) {
      case 'ListBuckets':
        return sendXml(
          r,
          200,
          xmlDocument('ListAllMyBucketsResult', {
            Owner: OWNER,
            Buckets: { Bucket: store.listBuckets().map((b) => ({ Name: b.name, CreationDate: b.created })) },
          }),
        );
      case 'CreateBucket':
        await drain(r.req);
        await store.createBucket(r.bucket);
        return sendEmpty(r, 200, { location: `/${r.bucket}` });
      case 'HeadBucket':
        if (!store.hasBucket(r.bucket)) throw s3Errors.noSuchBucket(r.bucket);
        return sendEmpty(r, 200, { 'x-amz-bucket-region': 'us-east-1' });
      case 'DeleteBucket':
        await store.deleteBucket(r.bucket);
        return sendEmpty(r, 204);
      case 'ListObjectsV2':
        return listObjectsV2(r);
      case 'ListObjects':
        return listObjectsV1(r);
      case 'ListMultipartUploads':
        return listMultipartUploads(r);
      case 'PutObject':
        return putObject(r);
      case 'UploadPart':
        return uploadPart(r);
      case 'GetObject':
        return getObject(r, false);
      case 'HeadObject':
        return getObject(r, true);
      case 'DeleteObject':
        await store.deleteObject(r.bucket, r.key);
        return sendEmpty(r, 204);
      case 'CreateMultipartUpload': {
        await drain(r.req);
        const up = await store.createUpload(r.bucket, r.key, header(r.req, 'content-type') ?? 'binary/octet-stream', userMetadata(r.req));
        return sendXml(r, 200, xmlDocument('InitiateMultipartUploadResult', { Bucket: r.bucket, Key: r.key, UploadId: up.uploadId }));
      }
      case 'CompleteMultipartUpload':
        return completeUpload(r);
      case 'ListParts':
        return listParts(r);
      case 'AbortMultipartUpload':
        await store.removeUpload(r.bucket, r.key, r.query.get('uploadId') ?? '');
        return sendEmpty(r, 204);
      default:
        throw s3Errors.notImplemented(`${r.req.method ?? ''} ${r.req.url ?? ''}`);
    }
  }

  return (req, res) => {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    // Split by hand: `new URL` would resolve `..` and collapse `//`, which are legal in keys.
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    const slash = path.indexOf('/', 1);
    let bucket = '';
    let key = '';
    const r0 = { req, res, query, requestId };
    try {
      bucket = decodeURIComponent(slash < 0 ? path.slice(1) : path.slice(1, slash));
      key = slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1));
    } catch {
      return sendError({ ...r0, bucket, key }, new S3Error('InvalidURI', 400, "Couldn't parse the specified URI."));
    }
    const r: S3Request = { ...r0, bucket, key };
    const operation = operationOf(req.method ?? 'GET', bucket, key, query);
    state.countRequest(operation);
    void (async () => {
      try {
        if (state.faults.latencyMs > 0) await sleep(state.faults.latencyMs);
        checkCredential(req, query, options.credentials);
        if (state.take('slowDownTimes')) throw s3Errors.slowDown();
        if (state.take('internalErrorTimes')) throw s3Errors.internalError();
        if (state.faults.internalErrorRate > 0 && Math.random() < state.faults.internalErrorRate) {
          state.fired('internalErrorRate');
          throw s3Errors.internalError();
        }
        await dispatch(r, operation);
      } catch (err) {
        if (err instanceof ConnectionGone) return;
        const s3err = err instanceof S3Error ? err : new S3Error('InternalError', 500, err instanceof Error ? err.message : String(err));
        if (res.headersSent) return void res.destroy();
        await drain(req);
        sendError(r, s3err);
      }
    })();
  };
}
