import { createHash } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { control } from './control';

/**
 * The S3 target of a chaos world as the checks see it, through a client of their own (the AWS SDK, not
 * the agent's S3 target: the code under test does not judge itself). The simulator runs with its default
 * credentials; the agent's config names the same.
 */
export const S3_BUCKET = 'chaos';
export const S3_CREDENTIALS = { accessKeyId: 'filesync', secretAccessKey: 'filesync-secret' } as const;
/** Parts of the agent's multipart uploads: S3's (and the config's) smallest, so that a round needs few bytes for many parts. */
export const S3_PART_BYTES = 5 * 1024 * 1024;
/**
 * The agent's `partConcurrency` in chaos worlds: several parts of an upload in flight, as in the field.
 * A kill costs at most the parts in flight (each cut, or stored but not yet recorded), so a kill's
 * allowance is this many parts. Kept at 2, not the default 4: a restart from part 1 (the broken build
 * `s3-multipart-kills-forget-parts`) must still cost more per kill than the allowance on 3–4-part files.
 */
export const S3_PARTS_IN_FLIGHT = 2;

/** What the S3 simulator's control API says (`GET /state`), the part the checks read. */
export interface S3SimState {
  /** Body bytes that arrived per `bucket/key`, as sent on the wire: retries, cut parts and aborted uploads included. */
  readonly bytesReceived: Record<string, number>;
  readonly requests: Record<string, number>;
  readonly uploadsInProgress: readonly { readonly bucket: string; readonly key: string; readonly uploadId: string; readonly parts: number; readonly bytes: number }[];
  /** UploadParts whose body is arriving now. */
  readonly partsReceiving: readonly { readonly key: string; readonly uploadId: string; readonly partNumber: number; readonly received: number; readonly declared: number | null; readonly startedAt: number }[];
}

export const s3State = (controlUrl: string): Promise<S3SimState> => control<S3SimState>(controlUrl, 'GET', '/state');

function client(endpoint: string): S3Client {
  // A copy: the SDK marks the credentials object it is given (`$source`), and the agent's config is written from this one.
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...S3_CREDENTIALS }, maxAttempts: 2 });
}

/** Runs `fn` with a client of its own, destroyed after (its sockets would keep a runner alive). */
async function withClient<T>(endpoint: string, fn: (s3: S3Client) => Promise<T>): Promise<T> {
  const s3 = client(endpoint);
  try {
    return await fn(s3);
  } finally {
    s3.destroy();
  }
}

/** The bucket the agent writes to: it must exist (the agent does not create buckets). */
export const createBucket = (endpoint: string): Promise<unknown> => withClient(endpoint, (s3) => s3.send(new CreateBucketCommand({ Bucket: S3_BUCKET })));

/** sha256 of the object at `key` as a client reads it back (GetObject); undefined when there is none. */
export function objectSha256(endpoint: string, key: string): Promise<string | undefined> {
  return withClient(endpoint, async (s3) => {
    const got = await s3.send(new GetObjectCommand({ Bucket: S3_BUCKET, Key: key })).catch((err: unknown) => {
      if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    });
    if (!got?.Body) return undefined;
    const hash = createHash('sha256');
    for await (const chunk of got.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
    return hash.digest('hex');
  });
}

/** Every key in the bucket. */
export function listKeys(endpoint: string): Promise<string[]> {
  return withClient(endpoint, async (s3) => {
    const keys: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const out = await s3.send(new ListObjectsV2Command({ Bucket: S3_BUCKET, ...(token === undefined ? {} : { ContinuationToken: token }) }));
      for (const o of out.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
      if (!out.IsTruncated) break;
      token = out.NextContinuationToken;
    }
    return keys;
  });
}

/** Multipart uploads still open in the bucket (ListMultipartUploads), as `key (uploadId)`. */
export function openUploads(endpoint: string): Promise<string[]> {
  return withClient(endpoint, async (s3) => {
    const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: S3_BUCKET }));
    return (out.Uploads ?? []).map((u) => `${u.Key ?? '?'} (${u.UploadId ?? '?'})`);
  });
}
