import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { S3Error, s3Errors } from './s3-error';

export interface Credentials {
  readonly accessKeyId: string;
  /** When set, a SigV4 header signature is verified with it; when undefined only the key id is checked. */
  readonly secretAccessKey: string | undefined;
}

/** RFC 3986 escaping, as SigV4 canonicalises query strings (encodeURIComponent leaves !'()* alone). */
function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(rawQuery: string): string {
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
    if (key === 'X-Amz-Signature') continue;
    pairs.push([escapeUri(key), escapeUri(value)]);
  }
  pairs.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/**
 * Verifies a SigV4 `Authorization` header the way S3 computes it: the path as sent (S3 does not
 * re-encode it), the query canonicalised, the signed headers with whitespace folded, and the
 * payload hash the client declared in `x-amz-content-sha256` (that the body matches it is not
 * checked, nor are streaming chunk signatures).
 */
function verifySigV4(req: IncomingMessage, auth: string, secret: string): void {
  const credential = /Credential=([^,\s]+)/.exec(auth)?.[1];
  const signedHeaders = /SignedHeaders=([^,\s]+)/.exec(auth)?.[1];
  const signature = /Signature=([0-9a-f]+)/.exec(auth)?.[1];
  const amzDate = req.headers['x-amz-date'];
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (!credential || !signedHeaders || !signature || typeof amzDate !== 'string') throw s3Errors.accessDenied('malformed Authorization header');
  const [, date, region, service] = credential.split('/');
  if (!date || !region || !service) throw s3Errors.accessDenied('malformed credential scope');
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const headerLines = signedHeaders
    .split(';')
    .map((name) => {
      const v = req.headers[name];
      const value = Array.isArray(v) ? v.join(',') : (v ?? '');
      return `${name}:${value.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonicalRequest = [
    req.method ?? 'GET',
    q < 0 ? raw : raw.slice(0, q),
    canonicalQuery(q < 0 ? '' : raw.slice(q + 1)),
    headerLines,
    signedHeaders,
    typeof payloadHash === 'string' ? payloadHash : createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = hmac(key, stringToSign);
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new S3Error('SignatureDoesNotMatch', 403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
      AWSAccessKeyId: credential.split('/')[0] ?? '',
      StringToSign: stringToSign,
    });
  }
}

/**
 * Checks that a request is signed with the configured access key, and, for a SigV4 header with a
 * secret configured, that the signature is right (`403 SignatureDoesNotMatch`, as S3). Presigned
 * (`X-Amz-Credential=KEY/…`) and SigV2 (`AWS KEY:sig`) requests have only their key id checked.
 */
export function checkCredential(req: IncomingMessage, query: URLSearchParams, credentials: Credentials): void {
  const auth = req.headers.authorization;
  let key: string | undefined;
  if (auth !== undefined) {
    key = /Credential=([^/,\s]+)\//.exec(auth)?.[1] ?? /^AWS ([^:\s]+):/.exec(auth)?.[1];
  } else {
    key = query.get('X-Amz-Credential')?.split('/')[0];
  }
  if (key === undefined) throw s3Errors.accessDenied('the request is not signed');
  if (key !== credentials.accessKeyId) throw s3Errors.invalidAccessKeyId(key);
  if (auth?.startsWith('AWS4-HMAC-SHA256 ') && credentials.secretAccessKey !== undefined) verifySigV4(req, auth, credentials.secretAccessKey);
}
