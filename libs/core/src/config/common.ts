import * as z from 'zod';

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** Parses "512MiB", "1.5 GB", "4096" into bytes; undefined when malformed. */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = UNITS[(m[2] ?? 'b').toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
}

/** A byte count: a whole number, or a string with a unit such as "512MiB" or "2GB". */
export const byteSize = z
  .union([
    z.number().int().nonnegative(),
    z.string().regex(/^\s*\d+(\.\d+)?\s*([kKmMgGtT]i?[bB]|[bB])?\s*$/, 'expected a size such as 1048576, "512MiB" or "2GB"'),
  ])
  .transform((v) => (typeof v === 'number' ? v : (parseByteSize(v) ?? 0)))
  .describe('A byte count: a whole number of bytes, or a string with a unit (B, KB, MB, GB, KiB, MiB, GiB).');

export const seconds = z.number().nonnegative().describe('A duration in seconds.');

/** Ids name sources and targets in routes, logs and status: keep them short and shell-safe. */
export const deviceId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'use 1–64 characters: lower-case letters, digits, "-" and "_", starting with a letter or digit')
  .describe('A short unique name used in routes, logs and status.');

export const collisionPolicy = z
  .enum(['rename', 'overwrite', 'skip'])
  .describe('When a different file already has the final name: rename (add a suffix), overwrite, or skip.');

/**
 * Credentials may sit in the config, or come from an environment variable or a file named in it,
 * so a config file can be shared without its secrets.
 */
export const credentials = {
  user: z.string().optional().describe('User name (default: the user in the URL, else anonymous).'),
  password: z.string().optional().describe('Password (prefer passwordEnv or passwordFile).'),
  passwordEnv: z.string().optional().describe('Name of an environment variable holding the password.'),
  passwordFile: z.string().optional().describe('Path of a file holding the password (first line).'),
};

export const tlsOptions = {
  secure: z
    .union([z.literal(false), z.literal('explicit'), z.literal('implicit')])
    .default(false)
    .describe('FTPS: false (plain FTP), "explicit" (AUTH TLS) or "implicit".'),
  caFile: z.string().optional().describe('PEM file of a CA to trust in addition to the system ones.'),
};

/** The port written in a URL's authority (`…@host:PORT/…`), or undefined when none is written. */
function portOf(url: string): string | undefined {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
  return /:(\d*)$/.exec(authority.replace(/^.*@/, '').replace(/^\[[^\]]*\]/, ''))?.[1];
}

/**
 * An FTP server URL. The port is checked here, so `check-config` names it instead of `serve` failing
 * later; messages never repeat the URL, since it may carry a password.
 */
export const ftpUrl = z
  .string()
  .regex(/^ftps?:\/\/[^/]+/, { message: 'expected ftp://HOST[:PORT][/DIR] or ftps://HOST[:PORT][/DIR]', abort: true })
  .refine((url) => {
    const port = portOf(url);
    return port === undefined || (/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535);
  }, 'port must be a whole number from 1 to 65535 (or left out for the default 21, 990 for ftps://)')
  .describe('Server and directory.');

/** An upload site's URL: http:// or https:// only (a typo such as htp:// would otherwise be retried for ever). */
export const httpUrl = z
  .string()
  .regex(/^https?:\/\/[^/?#]+/i, { message: 'expected an http:// or https:// URL, e.g. https://logs.px4.io', abort: true })
  .refine((url) => URL.canParse(url), 'not a valid URL (check the host name and port)')
  .refine((url) => {
    const port = portOf(url);
    return port === undefined || port === '' || (Number(port) >= 1 && Number(port) <= 65535);
  }, 'port must be a whole number from 1 to 65535');

/**
 * A WebDAV collection's URL: http:// or https:// only, with a valid port. Messages never repeat the
 * URL, since it may carry a password.
 */
export const webdavUrl = z
  .string()
  .regex(/^https?:\/\/[^/?#]+/i, { message: 'expected an http:// or https:// URL of a WebDAV folder, e.g. https://cloud.example.org/remote.php/dav/files/drone/', abort: true })
  .refine((url) => URL.canParse(url), 'not a valid URL (check the host name and port)')
  .refine((url) => {
    const port = portOf(url);
    return port === undefined || port === '' || (/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535);
  }, 'port must be a whole number from 1 to 65535 (or left out for the default 80, 443 for https://)')
  .describe('The WebDAV folder files go under; it must exist (folders below it are made).');
