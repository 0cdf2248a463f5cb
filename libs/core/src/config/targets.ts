import * as z from 'zod';
import { unsafeKeyReason } from '../key-template';
import { byteSize, collisionPolicy, credentials, deviceId, ftpUrl, httpUrl, tlsOptions, webdavUrl } from './common';

const targetBase = {
  id: deviceId,
  dir: z.string().default('').describe('Directory on the target under which files are placed.'),
};

export const localTargetSchema = z
  .strictObject({
    ...targetBase,
    type: z.literal('local'),
    dir: z.string().min(1).describe('Directory to deliver files into.'),
    collision: collisionPolicy.default('rename'),
  })
  .describe('A local directory (e.g. a mounted network share).');

export const ftpTargetSchema = z
  .strictObject({
    ...targetBase,
    type: z.literal('ftp'),
    url: ftpUrl,
    ...credentials,
    ...tlsOptions,
    partSuffix: z.string().min(1).default('.part').describe('Suffix of the in-transit name.'),
    collision: collisionPolicy.default('rename'),
  })
  .describe('An FTP server to upload to.');

export const httpTargetSchema = z
  .strictObject({
    // No `dir`: an upload site names the file itself.
    id: deviceId,
    type: z.literal('http'),
    mode: z
      .enum(['flight-review', 'form'])
      .default('flight-review')
      .describe('flight-review: PX4 Flight Review POST /upload; form: a generic multipart form upload.'),
    url: httpUrl.describe('Base URL (flight-review) or the form’s action URL (form).'),
    fileField: z.string().default('filearg').describe('Form field that carries the file.'),
    fields: z.record(z.string(), z.string()).default({}).describe('Extra form fields sent with every upload.'),
    maxBytes: byteSize.optional().describe('Largest file the site accepts (Flight Review: 300 MB).'),
    timeoutSec: z
      .number()
      .positive()
      .default(600)
      .describe('Longest silence allowed during an upload (no bytes accepted, or no answer after the last byte), not a limit on the whole upload.'),
  })
  .describe('An HTTP upload endpoint.');

export const webdavTargetSchema = z
  .strictObject({
    ...targetBase,
    type: z.literal('webdav'),
    url: webdavUrl,
    ...credentials,
    partSuffix: z.string().min(1).default('.part').describe('Suffix of the in-transit name.'),
    collision: collisionPolicy.default('rename'),
    resume: z
      .boolean()
      .default(true)
      .describe('Continue an interrupted upload where the server offers partial updates (Sabre/Nextcloud); otherwise it is sent again from zero.'),
    timeoutSec: z
      .number()
      .positive()
      .default(60)
      .describe('Longest silence allowed in one request (no bytes taken, or no answer), not a limit on the whole upload.'),
  })
  .describe('A WebDAV server (Nextcloud, ownCloud, Apache mod_dav, rclone serve webdav) to upload to.');


const MIB = 2 ** 20;
/** S3's smallest part (all but the last). */
export const S3_MIN_PART_BYTES = 5 * MIB;
/** S3 allows 5 GiB parts, but a part (and a file under the threshold) is held in memory while it is sent. */
export const S3_MAX_HELD_BYTES = 256 * MIB;
/**
 * Parts in flight at once by default. Two gets most of the speed four gets (`npm run bench -- s3-upload`,
 * libs/devices/s3/README.md) at two thirds of its memory and half its bytes re-sent per power cut,
 * which on a 512 MB Pi Zero 2 W that loses power without warning weigh more than the last few percent.
 */
export const S3_DEFAULT_PART_CONCURRENCY = 2;
/** More parts in flight gain nothing on one link and cost a part buffer each. */
export const S3_MAX_PART_CONCURRENCY = 16;
/** Files sent at once by default, as rclone's `--transfers`: small files are mostly round trips. */
export const S3_DEFAULT_TRANSFERS = 4;

export const s3TargetSchema = z
  .strictObject({
    // No `dir`: `prefix` is the object store's word for it.
    id: deviceId,
    type: z.literal('s3'),
    endpoint: httpUrl.optional().describe('The store\u2019s URL (MinIO, Ceph RGW, Garage, SeaweedFS, \u2026); leave out for AWS S3.'),
    region: z.string().min(1).default('us-east-1').describe('Region to sign requests for (most self-hosted stores accept any).'),
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected a bucket name: 3\u201363 lower-case letters, digits, "." and "-"')
      .describe('The bucket; it must exist (filesync does not create it).'),
    prefix: z
      .string()
      .default('')
      .refine((p) => p === '' || unsafeKeyReason(p.replace(/\/$/, '')) === undefined, 'must be a plain key prefix such as "fleet/": no "..", ".", empty segments or leading "/"')
      .describe('Key prefix every object is written under (e.g. "fleet/"); the route\u2019s targetPath follows it.'),
    forcePathStyle: z.boolean().optional().describe('Address the bucket in the path (http://host/bucket/key) rather than the host name; default true when `endpoint` is set.'),
    accessKeyId: z.string().min(1).optional().describe('Access key id; leave out (with the secret) to use the standard AWS credential chain (environment, ~/.aws, instance role).'),
    secretAccessKey: z.string().min(1).optional().describe('Secret access key (prefer secretAccessKeyFile or secretAccessKeyEnv).'),
    secretAccessKeyFile: z.string().min(1).optional().describe('A file holding the secret access key (first line).'),
    secretAccessKeyEnv: z.string().min(1).optional().describe('An environment variable holding the secret access key.'),
    credentialsFile: z.string().min(1).optional().describe('An AWS shared credentials file (INI: aws_access_key_id, aws_secret_access_key, aws_session_token).'),
    profile: z.string().min(1).default('default').describe('Profile of credentialsFile to use.'),
    partSize: byteSize
      .default(8 * MIB)
      .refine((n) => n >= S3_MIN_PART_BYTES && n <= S3_MAX_HELD_BYTES, 'must be between 5 MiB (S3\u2019s smallest part) and 256 MiB (a part is held in memory while it is sent)')
      .describe('Size of each multipart part: bytes sent twice after a power cut are at most one part.'),
    partConcurrency: z
      .number()
      .int()
      .min(1, 'must be at least 1 (one part at a time)')
      .max(S3_MAX_PART_CONCURRENCY, `must be at most ${S3_MAX_PART_CONCURRENCY}`)
      .default(S3_DEFAULT_PART_CONCURRENCY)
      .describe(
        'Parts of one multipart upload sent at once. Each part in flight is held in memory (partSize \u00d7 partConcurrency bytes), and a power cut may cost every part in flight: bytes sent twice per cut are at most partSize \u00d7 partConcurrency.',
      ),
    transfers: z
      .number()
      .int()
      .min(1, 'must be at least 1 (one file at a time)')
      .max(16, 'must be at most 16')
      .default(S3_DEFAULT_TRANSFERS)
      .describe(
        'Files sent at once. Beside one file larger than 1 MiB only files up to 1 MiB go, so each extra transfer holds at most 1 MiB more in memory and a power cut costs at most 1 MiB more per extra transfer.',
      ),
    multipartThreshold: byteSize
      .default(16 * MIB)
      .refine((n) => n >= S3_MIN_PART_BYTES && n <= S3_MAX_HELD_BYTES, 'must be between 5 MiB and 256 MiB (a smaller file is held in memory while it is sent)')
      .describe('Files of at least this size go as a multipart upload (resumable); smaller ones in one PUT.'),
    collision: collisionPolicy.default('rename'),
    staleUploadHours: z
      .number()
      .positive()
      .default(168)
      .describe('An unfinished multipart upload of this target untouched for this long is aborted at start (so it stops costing storage).'),
    timeoutSec: z.number().positive().default(120).describe('Longest wait for one request (a part, a HEAD) before it counts as a network fault.'),
  })
  .superRefine((t, ctx) => {
    // Every part in flight is a buffer of partSize bytes: their sum is what the upload holds in memory.
    if (t.partSize * t.partConcurrency > S3_MAX_HELD_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['partConcurrency'], message: `partSize \u00d7 partConcurrency must be at most 256 MiB (each part in flight is held in memory); ${t.partConcurrency} parts of ${t.partSize} bytes are ${t.partSize * t.partConcurrency}` });
    }
    const secrets = (['secretAccessKey', 'secretAccessKeyFile', 'secretAccessKeyEnv'] as const).filter((k) => t[k] !== undefined);
    if (secrets.length > 1) ctx.addIssue({ code: 'custom', path: [secrets[1]!], message: `give the secret one way: ${secrets.join(' and ')} are both set` });
    if (t.accessKeyId !== undefined && secrets.length === 0) ctx.addIssue({ code: 'custom', path: ['accessKeyId'], message: 'needs secretAccessKey, secretAccessKeyFile or secretAccessKeyEnv' });
    if (t.accessKeyId === undefined && secrets.length > 0) ctx.addIssue({ code: 'custom', path: [secrets[0]!], message: 'needs accessKeyId' });
    if (t.credentialsFile !== undefined && t.accessKeyId !== undefined) ctx.addIssue({ code: 'custom', path: ['credentialsFile'], message: 'give the credentials one way: accessKeyId and credentialsFile are both set' });
  })
  .describe('An S3-compatible object store (AWS S3, MinIO, Ceph RGW, Garage, SeaweedFS).');

export const targetSchema = z.discriminatedUnion('type', [localTargetSchema, ftpTargetSchema, httpTargetSchema, webdavTargetSchema, s3TargetSchema]);
export type TargetConfig = z.infer<typeof targetSchema>;
export type TargetType = TargetConfig['type'];
