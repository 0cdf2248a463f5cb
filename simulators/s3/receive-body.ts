import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { AwsChunkedDecoder } from './aws-chunked';
import { s3Errors } from './s3-error';

/** The client's connection was cut on purpose (a drop fault): nothing is answered or stored. */
export class ConnectionGone extends Error {
  constructor() {
    super('connection dropped by a fault');
  }
}

export interface ReceivedBody {
  readonly size: number;
  /** MD5 of the payload (what S3's single-part ETag is). */
  readonly md5: Buffer;
}

export interface ReceiveOptions {
  /** Destroy the socket once this many body bytes (as sent, encoding included) have arrived. */
  readonly dropAfterBytes?: number;
  /** Called with each chunk's wire size as it arrives (the per-key byte counters). */
  readonly onBytes: (n: number) => void;
  /** The read rate cap now (bytes/s; null or 0: none), asked after each chunk so a change applies mid-body. */
  readonly bandwidth?: () => number | null;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isAwsChunked(req: IncomingMessage): boolean {
  return /aws-chunked/.test(header(req, 'content-encoding') ?? '') || /^STREAMING-/.test(header(req, 'x-amz-content-sha256') ?? '');
}

/**
 * Streams a request body into `path`, decoding aws-chunked, hashing it, and checking the digests
 * the client sent (Content-MD5, and the `x-amz-checksum-crc32|sha1|sha256` header or trailer) as S3
 * does: a mismatch is `400 BadDigest` and nothing is kept. CRC32C and CRC64NVME are not checked.
 */
export async function receiveBody(req: IncomingMessage, path: string, options: ReceiveOptions): Promise<ReceivedBody> {
  const decoder = isAwsChunked(req) ? new AwsChunkedDecoder() : undefined;
  const md5 = createHash('md5');
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  let crc = 0;
  let size = 0;
  let wire = 0;
  const out = createWriteStream(path);
  const written = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
  });
  const write = (payload: Buffer): void => {
    size += payload.length;
    md5.update(payload);
    sha1.update(payload);
    sha256.update(payload);
    crc = crc32(payload, crc);
    out.write(payload);
  };
  try {
    for await (const raw of req as AsyncIterable<Buffer>) {
      let chunk = raw;
      if (options.dropAfterBytes !== undefined && wire + chunk.length >= options.dropAfterBytes) {
        chunk = chunk.subarray(0, options.dropAfterBytes - wire);
        options.onBytes(chunk.length);
        req.socket.destroy();
        throw new ConnectionGone();
      }
      wire += chunk.length;
      options.onBytes(chunk.length);
      for (const payload of decoder ? decoder.push(chunk) : [chunk]) write(payload);
      const bps = options.bandwidth?.() ?? null;
      if (bps !== null && bps > 0) await sleep((chunk.length / bps) * 1000);
    }
    if (decoder && !decoder.complete) throw s3Errors.incompleteBody();
    const declared = Number(header(req, 'x-amz-decoded-content-length') ?? (decoder ? NaN : header(req, 'content-length')));
    if (Number.isFinite(declared) && declared !== size) throw s3Errors.incompleteBody();
    out.end();
    await written;
    const digest = md5.digest();
    const contentMd5 = header(req, 'content-md5');
    if (contentMd5 !== undefined && contentMd5 !== digest.toString('base64')) throw s3Errors.badDigest('Content-MD5');
    const sent = (name: string): string | undefined => header(req, name) ?? decoder?.trailers[name];
    const crcBytes = Buffer.alloc(4);
    crcBytes.writeUInt32BE(crc >>> 0);
    const checks: [string, string, string][] = [
      ['x-amz-checksum-crc32', 'CRC32', crcBytes.toString('base64')],
      ['x-amz-checksum-sha1', 'SHA1', sha1.digest('base64')],
      ['x-amz-checksum-sha256', 'SHA256', sha256.digest('base64')],
    ];
    for (const [name, label, actual] of checks) {
      const expected = sent(name);
      if (expected !== undefined && expected !== actual) throw s3Errors.badDigest(label);
    }
    return { size, md5: digest };
  } catch (err) {
    // A write still in flight fails once the stream is destroyed: that rejection is this error's, not another.
    written.catch(() => undefined);
    out.destroy();
    await rm(path, { force: true });
    throw err;
  }
}

/** Reads a small body (an XML request) whole; over `limit` bytes is an error. */
export async function readSmallBody(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  const decoder = isAwsChunked(req) ? new AwsChunkedDecoder() : undefined;
  for await (const raw of req as AsyncIterable<Buffer>) {
    total += raw.length;
    if (total > limit) throw s3Errors.malformedXml();
    chunks.push(...(decoder ? decoder.push(raw) : [raw]));
  }
  return Buffer.concat(chunks).toString('utf8');
}
