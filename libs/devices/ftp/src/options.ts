import { type Clock, badOption } from '@filesync/core';

/** One log line from the device; pino's `logger[level](fields, message)` fits behind it. */
export type FtpLog = (level: 'debug' | 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;

/** How to reach and log in to an FTP server; the fields of the `ftp` source/target config, plus tuning. */
export interface FtpConnectionOptions {
  /** `ftp://HOST[:PORT][/DIR]` (explicit TLS with `secure: 'explicit'`) or `ftps://…` (implicit TLS). DIR is relative to the login directory. */
  readonly url: string;
  /** User name; default `anonymous` (or the user in the URL). */
  readonly user?: string;
  /** Password in the config itself (prefer `passwordEnv` or `passwordFile`). */
  readonly password?: string;
  /** Name of an environment variable holding the password. */
  readonly passwordEnv?: string;
  /** Path of a file whose first line is the password. */
  readonly passwordFile?: string;
  /** `false` (plain FTP), `'explicit'` (AUTH TLS) or `'implicit'`; default from the URL scheme. */
  readonly secure?: false | 'explicit' | 'implicit';
  /** PEM file of a CA trusted in addition to the system ones (certificates are always checked). */
  readonly caFile?: string;
  /** Control and data socket inactivity limit; default 30 s. */
  readonly timeoutMs?: number;
  /** An idle connection sends NOOP this often so NATs and servers keep it; default 20 s, 0 = never. */
  readonly keepAliveMs?: number;
  /** Connections opened at most at once; default 2. */
  readonly maxConnections?: number;
  readonly log?: FtpLog;
  /** Time for keep-alive scheduling (tests drive it with ManualClock); default the system clock. */
  readonly clock?: Clock;
  /** Where `passwordEnv` is looked up; default `process.env` (tests pass their own). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedEndpoint {
  readonly host: string;
  readonly port: number;
  /** Directory below the login directory, without leading or trailing `/` ("" = the login directory). */
  readonly dir: string;
  readonly secure: false | 'explicit' | 'implicit';
  readonly user: string;
  /** `ftp://host:port/dir` without credentials: the only form of the address that may be logged. */
  readonly display: string;
  /** The password in the URL itself (`ftp://user:pass@host`), kept apart so it never reaches `display`. */
  readonly urlPassword: string | undefined;
}


export function resolveEndpoint(options: FtpConnectionOptions, extraDir = ''): ResolvedEndpoint {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw badOption('url', 'expected ftp://HOST[:PORT][/DIR]');
  }
  if (url.protocol !== 'ftp:' && url.protocol !== 'ftps:') throw badOption('url', 'expected ftp:// or ftps://');
  // An ftps:// URL never falls back to plain text, even when the config's `secure` is left at false.
  const secure = url.protocol === 'ftps:' && !options.secure ? 'implicit' : (options.secure ?? false);
  const port = url.port === '' ? (secure === 'implicit' ? 990 : 21) : Number(url.port);
  const parts = [...decodeURIComponent(url.pathname).split('/'), ...extraDir.split('/')].filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw badOption('url', 'the directory may not contain ".."');
  const dir = parts.join('/');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const user = options.user ?? (url.username === '' ? 'anonymous' : decodeURIComponent(url.username));
  const urlPassword = url.password === '' ? undefined : decodeURIComponent(url.password);
  const display = `${url.protocol}//${url.host}/${dir}`;
  return { host, port, dir, secure, user, display, urlPassword };
}

/** Every form of a secret that could appear in text, longest first, for redaction. */
export function secretForms(secret: string): string[] {
  if (secret.length < 3) return []; // too short to redact without mangling ordinary text
  return [...new Set([secret, encodeURIComponent(secret)])].sort((a, b) => b.length - a.length);
}
