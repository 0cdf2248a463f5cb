import { z } from 'zod';
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

export const targetSchema = z.discriminatedUnion('type', [localTargetSchema, ftpTargetSchema, httpTargetSchema, webdavTargetSchema]);
export type TargetConfig = z.infer<typeof targetSchema>;
export type TargetType = TargetConfig['type'];
