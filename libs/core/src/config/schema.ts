import * as z from 'zod';
import { byteSize, deviceId, seconds } from './common';
import { sourceSchema } from './sources';
import { targetSchema } from './targets';
import { crossReferenceProblems } from './cross-references';
import { TEMPLATE_PLACEHOLDERS, VEHICLE_NAME, templateProblems } from '../key-template';

export const filterSchema = z
  .strictObject({
    include: z.array(z.string().min(1)).default(['**/*']).describe('Globs of paths to take (relative to the source root).'),
    exclude: z.array(z.string().min(1)).default([]).describe('Globs of paths to leave alone.'),
    minAgeSec: seconds.optional().describe('Take a file only once it is this old (lets a writer finish it).'),
    maxAgeSec: seconds.optional().describe('Leave files older than this alone.'),
    minSize: byteSize.optional().describe('Smallest file to take.'),
    maxSize: byteSize.optional().describe('Largest file to take.'),
  })
  .refine((f) => f.minSize === undefined || f.maxSize === undefined || f.minSize <= f.maxSize, {
    message: 'minSize is larger than maxSize',
    path: ['minSize'],
  })
  .refine((f) => f.minAgeSec === undefined || f.maxAgeSec === undefined || f.minAgeSec <= f.maxAgeSec, {
    message: 'minAgeSec is larger than maxAgeSec',
    path: ['minAgeSec'],
  })
  .describe('Which files of the source take this route.');
export type FilterConfig = z.infer<typeof filterSchema>;

export const routeSchema = z
  .strictObject({
    source: deviceId.describe('Id of a source.'),
    targets: z.array(deviceId).min(1, 'name at least one target').describe('Ids of the targets every file goes to.'),
    policy: z
      .enum(['copy', 'move'])
      .default('copy')
      .describe('copy: leave files on the source; move: remove each file from the source once every target has it verified.'),
    filter: filterSchema.default({ include: ['**/*'], exclude: [] }),
    order: z.enum(['oldest-first', 'newest-first']).default('oldest-first').describe('Which files go first.'),
    followGrowing: z
      .boolean()
      .default(false)
      .describe(
        'Fetch a file while it is still being written (append-only: a log during a long flight): its new bytes as they appear, delivered once its size has not changed for the source\'s settleSec. Default: wait until it is closed.',
      ),
    targetPath: z
      .string()
      .min(1)
      .default('{source}/{path}')
      .superRefine((template, ctx) => {
        for (const message of templateProblems(template)) ctx.addIssue({ code: 'custom', message });
      })
      .describe(
        `Where a file lands on the targets (on S3: the key after the prefix). Placeholders: ${Object.entries(TEMPLATE_PLACEHOLDERS)
          .map(([k, v]) => `{${k}} ${v.help}`)
          .join('; ')}.`,
      ),
  })
  .describe('Which source goes to which targets.');
export type RouteConfig = z.infer<typeof routeSchema>;

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path of the JSON Schema, for editors.'),
    vehicle: z
      .string()
      .regex(VEHICLE_NAME, 'use 1–64 letters, digits, ".", "-" or "_", starting with a letter or digit')
      .optional()
      .describe('This vehicle’s name, for {vehicle} in target paths (many vehicles sharing one bucket); default: the host name.'),
    dataDir: z.string().min(1).describe('Directory for the catalog, staging and logs (relative paths are taken from the config file).'),
    staging: z
      .strictObject({
        dir: z.string().optional().describe('Staging directory (default: DATADIR/staging).'),
        reserveBytes: byteSize.default(256 * 1024 * 1024).describe('Downloads wait while the staging disk has less free space than this.'),
        maxBytes: byteSize.optional().describe('Most bytes staging may hold at once.'),
        checkpointBytes: byteSize.default(1024 * 1024).describe('Record download progress at least every this many bytes (at most 1 MiB).'),
        checkpointMs: z.number().int().positive().max(1000).default(1000).describe('…and at least this often, in milliseconds (at most 1000).'),
      })
      .default({ reserveBytes: 256 * 1024 * 1024, checkpointBytes: 1024 * 1024, checkpointMs: 1000 })
      .refine((s) => s.checkpointBytes > 0 && s.checkpointBytes <= 1024 * 1024, {
        message: 'must be between 1 byte and 1 MiB',
        path: ['checkpointBytes'],
      }),
    store: z
      .strictObject({
        path: z.string().optional().describe('Catalog file (default: DATADIR/catalog.db).'),
        backups: z.number().int().min(1).max(100).default(3).describe('How many rotating backups to keep.'),
        backupIntervalSec: seconds.default(600).describe('How often to back the catalog up.'),
      })
      .default({ backups: 3, backupIntervalSec: 600 }),
    log: z
      .strictObject({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
        file: z.string().optional().describe('Log file (default: DATADIR/logs/filesync.log); "-" logs to stdout only.'),
        maxBytes: byteSize.default(10 * 1024 * 1024).describe('Rotate the log file at this size.'),
        files: z.number().int().min(1).max(100).default(5).describe('How many rotated log files to keep.'),
      })
      .default({ level: 'info', maxBytes: 10 * 1024 * 1024, files: 5 }),
    status: z
      .union([
        z.literal(false),
        z
          .strictObject({
            host: z.string().default('127.0.0.1').describe('Address the status page listens on (loopback unless a token is set).'),
            port: z.number().int().min(0).max(65535).default(8080),
            token: z.string().min(16, 'use at least 16 characters').optional().describe('Bearer token every request must carry; required off loopback.'),
            tokenFile: z.string().min(1).optional().describe('A file holding the token (first line).'),
            tokenEnv: z.string().min(1).optional().describe('An environment variable holding the token.'),
          })
          .superRefine((status, ctx) => {
            const given = (['token', 'tokenFile', 'tokenEnv'] as const).filter((k) => status[k] !== undefined);
            if (given.length > 1) ctx.addIssue({ code: 'custom', path: [given[1]!], message: `give the token one way: ${given.join(' and ')} are both set` });
            if (given.length === 0 && !isLoopbackHost(status.host)) {
              ctx.addIssue({
                code: 'custom',
                path: ['host'],
                message: 'is not a loopback address: anyone who reaches it could read the status and act on files; set status.token, tokenFile or tokenEnv',
              });
            }
          }),
      ])
      .default({ host: '127.0.0.1', port: 8080 })
      .describe('Status API and page; false turns it off.'),
    sources: z.array(sourceSchema).min(1, 'name at least one source'),
    targets: z.array(targetSchema).min(1, 'name at least one target'),
    routes: z.array(routeSchema).min(1, 'name at least one route'),
  })
  .superRefine((config, ctx) => {
    for (const problem of crossReferenceProblems(config)) ctx.addIssue({ code: 'custom', path: [], message: problem.message, params: { at: problem.path } });
  })
  .describe('filesync configuration');

/** Whether `host` is reachable from this machine only (the status server needs no token there). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** The JSON Schema of the config file, generated from the same zod source (for editors). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
