import { type CollisionPolicy, badOption } from '@filesync/core';

/** One log line from the device; pino's `logger[level](fields, message)` fits behind it. */
export type WebdavLog = (level: 'debug' | 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;

export interface WebdavTargetOptions {
  readonly id: string;
  /** `http[s]://HOST[:PORT]/PATH/`: the collection files go under. It must exist; folders below it are made. */
  readonly url: string;
  /** Folder below `url` under which files are placed; default "". */
  readonly dir?: string;
  /** User name for Basic auth (default: the user in the URL; none = no auth). */
  readonly user?: string;
  /** Password in the config itself (prefer `passwordEnv` or `passwordFile`). */
  readonly password?: string;
  /** Name of an environment variable holding the password. */
  readonly passwordEnv?: string;
  /** Path of a file whose first line is the password. */
  readonly passwordFile?: string;
  /** Suffix of the in-transit name; default `.part`. */
  readonly partSuffix?: string;
  /** What to do when a different file holds the final name; default `rename`. */
  readonly collision?: CollisionPolicy;
  /** Set false to never resume, even where the server offers partial updates; default true. */
  readonly resume?: boolean;
  /** Longest silence in one request (no body bytes taken, or no answer after the last), in ms; default 60 s. */
  readonly timeoutMs?: number;
  readonly log?: WebdavLog;
  /** Where `passwordEnv` is looked up; default `process.env` (tests pass their own). */
  readonly env?: NodeJS.ProcessEnv;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

export interface WebdavEndpoint {
  /** The base collection with a trailing `/`, without credentials: the only form that may be logged or fetched. */
  readonly base: URL;
  /** Path segments of `dir` (decoded), below `base`. */
  readonly dir: readonly string[];
  readonly user: string | undefined;
  /** The password in the URL itself (`https://user:pass@host`), kept apart so it never reaches `base`. */
  readonly urlPassword: string | undefined;
}


/** Parses the URL once; the error never repeats the URL, since it may carry a password. */
export function resolveEndpoint(options: WebdavTargetOptions): WebdavEndpoint {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw badOption('url', 'expected http://HOST[:PORT]/PATH or https://…');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badOption('url', 'expected http:// or https://');
  const user = options.user ?? (url.username === '' ? undefined : decodeURIComponent(url.username));
  const urlPassword = url.password === '' ? undefined : decodeURIComponent(url.password);
  const base = new URL(url.href);
  base.username = '';
  base.password = '';
  base.search = '';
  base.hash = '';
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const dir = (options.dir ?? '').split('/').filter((p) => p !== '' && p !== '.');
  if (dir.includes('..')) throw badOption('dir', 'may not contain ".."');
  return { base, dir, user, urlPassword };
}

/** Every form of a secret that could appear in text (plain, percent-encoded, in a Basic header), longest first. */
export function secretForms(user: string | undefined, secret: string | undefined): string[] {
  if (secret === undefined || secret.length < 3) return []; // too short to redact without mangling ordinary text
  const basic = Buffer.from(`${user ?? ''}:${secret}`).toString('base64');
  return [...new Set([secret, encodeURIComponent(secret), basic])].sort((a, b) => b.length - a.length);
}
