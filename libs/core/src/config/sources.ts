import * as z from 'zod';
import { byteSize, credentials, deviceId, ftpUrl, seconds, tlsOptions } from './common';

const sourceBase = {
  id: deviceId,
  pollIntervalSec: seconds.default(30).describe('How often the source is listed for new files.'),
  settleSec: seconds
    .default(3)
    .describe(
      'A file is staged only once the same size and mtime have been seen at least this long apart (a file still being written waits, shown as "settling"; see docs/identity.md).',
    ),
};

export const localSourceSchema = z
  .strictObject({
    ...sourceBase,
    type: z.literal('local'),
    dir: z.string().min(1).describe('Directory to collect files from.'),
  })
  .describe('A local directory.');

export const mavftpSourceSchema = z
  .strictObject({
    ...sourceBase,
    type: z.literal('mavftp'),
    link: z
      .string()
      .regex(
        /^(udpin:[^:]+:\d+|udpout:[^:]+:\d+|serial:[^:]+(:\d+)?)$/,
        'expected "udpin:HOST:PORT", "udpout:HOST:PORT" or "serial:/dev/ttyXXX[:BAUD]"',
      )
      .describe('MAVLink link: udpin:0.0.0.0:14540 (listen), udpout:HOST:PORT (send to), serial:/dev/ttyACM0:921600.'),
    logDir: z.string().default('/fs/microsd/log').describe('Directory on the autopilot to collect logs from.'),
    systemId: z.number().int().min(1).max(255).default(1).describe('Our own MAVLink system id.'),
    componentId: z.number().int().min(1).max(255).default(191).describe('Our own MAVLink component id (191: onboard computer).'),
    transferWhileArmed: z
      .boolean()
      .default(false)
      .describe('Allow transfers while the vehicle is armed (off by default: log downloads can overload the autopilot).'),
    requestTimeoutMs: z.number().int().positive().default(500).describe('Time to wait for a MAVFTP reply before resending.'),
  })
  .describe('A PX4 autopilot over MAVLink FTP.');

export const diskSourceSchema = z
  .strictObject({
    ...sourceBase,
    type: z.literal('disk'),
    match: z
      .strictObject({
        uuid: z.string().min(1).optional().describe('Volume UUID as in /dev/disk/by-uuid.'),
        label: z.string().min(1).optional().describe('Volume label as in /dev/disk/by-label.'),
        mountPoint: z.string().min(1).optional().describe('A fixed mount point.'),
      })
      .refine((m) => m.uuid !== undefined || m.label !== undefined || m.mountPoint !== undefined, {
        message: 'give at least one of uuid, label or mountPoint',
      })
      .describe('Which drive to collect from.'),
    dir: z.string().default('').describe('Sub-directory of the drive to collect from ("" = the whole drive).'),
    mountTable: z.string().default('/proc/self/mountinfo').describe('Mount table to watch (a directory is read as a macOS /Volumes listing).'),
    diskDir: z.string().default('/dev/disk').describe('Directory of the by-uuid/by-label links that name volumes.'),
    readChunkBytes: byteSize.default(1024 * 1024).describe('Bytes per read.'),
    maxReadFailures: z.number().int().positive().default(3).describe('Reads of one file failing the same way this often mark it failed.'),
  })
  .describe('A removable drive (e.g. a FLIR Duo camera’s USB flash drive).');

export const ftpSourceSchema = z
  .strictObject({
    ...sourceBase,
    type: z.literal('ftp'),
    url: ftpUrl,
    ...credentials,
    ...tlsOptions,
  })
  .describe('An FTP server to collect files from.');

export const sourceSchema = z.discriminatedUnion('type', [localSourceSchema, mavftpSourceSchema, diskSourceSchema, ftpSourceSchema]);
export type SourceConfig = z.infer<typeof sourceSchema>;
export type SourceType = SourceConfig['type'];
