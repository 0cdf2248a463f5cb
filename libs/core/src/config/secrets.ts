import { readFileSync } from 'node:fs';
import { badOption } from '../errors';

/**
 * The three ways a config gives one secret: the value itself, the name of an environment variable,
 * or a file whose first line it is. Field names are per kind of secret (`password`, `token`).
 */
export interface SecretFields {
  readonly value: string;
  readonly env: string;
  readonly file: string;
}

export const PASSWORD_FIELDS: SecretFields = { value: 'password', env: 'passwordEnv', file: 'passwordFile' };
export const TOKEN_FIELDS: SecretFields = { value: 'token', env: 'tokenEnv', file: 'tokenFile' };
/** An S3 target's secret access key. */
export const SECRET_ACCESS_KEY_FIELDS: SecretFields = { value: 'secretAccessKey', env: 'secretAccessKeyEnv', file: 'secretAccessKeyFile' };

/** Every kind of secret a config holds; `check-config --check-secrets` looks for each of them. */
export const SECRET_FIELDS: readonly SecretFields[] = [PASSWORD_FIELDS, TOKEN_FIELDS, SECRET_ACCESS_KEY_FIELDS];

/** A secret that cannot be had; `field` is the config field that names it, the message never holds it. */
export class SecretError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'SecretError';
  }
}

/**
 * The secret `holder` gives by `fields`, or undefined when it gives none: the value, else the variable,
 * else the file's first line. Read at each call, so a rotated file or variable is picked up. Sync: the
 * file is one line, and callers run at start-up or in a device's own thread before it connects.
 */
export function readSecret(holder: object, fields: SecretFields, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = holder as Record<string, unknown>;
  const value = given[fields.value];
  if (typeof value === 'string') return value;
  const variable = given[fields.env];
  if (typeof variable === 'string') {
    const text = env[variable];
    if (text === undefined) throw new SecretError(fields.env, `environment variable ${variable} is not set`);
    return text;
  }
  const file = given[fields.file];
  if (typeof file === 'string') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new SecretError(fields.file, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return text.split(/\r?\n/, 1)[0] ?? '';
  }
  return undefined;
}

/** Where a secret is found in a config, and how it is given there. */
export interface SecretSite {
  /** Path of the object that holds the fields, as check-config prints paths: `sources[0]`, `status`. */
  readonly path: string;
  readonly holder: object;
  readonly fields: SecretFields;
}

/** Every place in a config (any depth) that gives a secret by value, variable or file. */
export function secretSites(config: unknown, path = ''): SecretSite[] {
  if (config === null || typeof config !== 'object') return [];
  if (Array.isArray(config)) return config.flatMap((item, i) => secretSites(item, `${path}[${i}]`));
  const here = SECRET_FIELDS.filter((f) => [f.value, f.env, f.file].some((k) => k in config)).map((fields) => ({ path, holder: config, fields }));
  const below = Object.entries(config).flatMap(([key, value]) => secretSites(value, path === '' ? key : `${path}.${key}`));
  return [...here, ...below];
}

/** A device's password fields, as the FTP and WebDAV configs give them (`env`: where variables are looked up). */
export interface PasswordOptions {
  readonly password?: string | undefined;
  readonly passwordEnv?: string | undefined;
  readonly passwordFile?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
}

/**
 * A device's password: the config's, then the one in its URL, then the variable, then the file's first
 * line; undefined when none is given. Read at every connect, so a rotated secret is picked up. A
 * variable not set or a file not readable is a `bad-request` naming the field, never the secret.
 */
export function devicePassword(options: PasswordOptions, urlPassword: string | undefined): string | undefined {
  if (options.password !== undefined) return options.password;
  if (urlPassword !== undefined) return urlPassword;
  return readDeviceSecret(options, PASSWORD_FIELDS, options.env ?? process.env);
}

/** {@link readSecret} for a device: a secret that cannot be had is a bad request naming its field. */
export function readDeviceSecret(holder: object, fields: SecretFields, env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    return readSecret(holder, fields, env);
  } catch (err) {
    if (err instanceof SecretError) throw badOption(err.field, err.message);
    throw err;
  }
}
