import { timingSafeEqual } from 'node:crypto';
import { type Config, ConfigError, SecretError, TOKEN_FIELDS, isLoopbackHost, readSecret } from '@filesync/core/config';

type StatusConfig = Exclude<Config['status'], false>;

/**
 * Who may use the status server. Off loopback, only requests with the configured token (a bearer
 * header, or `?token=` for a browser opening the page); on loopback without a token, only requests
 * that name this machine in their Host header, so a web page elsewhere cannot reach it through a
 * DNS name that resolves to 127.0.0.1 (DNS rebinding).
 */
export interface StatusAccess {
  /** Why the request is refused (401 or 403), or undefined to serve it. */
  refuse(headers: { authorization?: string | undefined; host?: string | undefined }, query: string): { status: 401 | 403; reason: string } | undefined;
}

/** The token from the config, its file or its variable; a config error naming the field when it cannot be had. */
export function statusToken(status: StatusConfig, configFile: string): string | undefined {
  const fail = (field: string, message: string): never => {
    throw new ConfigError(configFile, [{ path: `status.${field}`, message }]);
  };
  let token: string | undefined;
  try {
    token = readSecret(status, TOKEN_FIELDS)?.trim();
  } catch (err) {
    if (err instanceof SecretError) return fail(err.field, err.message);
    throw err;
  }
  if (token === undefined) return undefined;
  const field = status.token !== undefined ? 'token' : status.tokenEnv !== undefined ? 'tokenEnv' : 'tokenFile';
  if (token === '') return fail(field, 'is empty');
  if (token.length < 16) return fail(field, 'is shorter than 16 characters');
  return token;
}

export function statusAccess(token: string | undefined): StatusAccess {
  const expected = token === undefined ? undefined : Buffer.from(token);
  const matches = (given: string | undefined): boolean => {
    if (expected === undefined || given === undefined) return false;
    const g = Buffer.from(given);
    return g.length === expected.length && timingSafeEqual(g, expected);
  };
  return {
    refuse(headers, query) {
      if (expected !== undefined) {
        const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
        const fromQuery = new URLSearchParams(query).get('token') ?? undefined;
        return matches(bearer) || matches(fromQuery) ? undefined : { status: 401, reason: 'a token is required (Authorization: Bearer TOKEN, or ?token=TOKEN)' };
      }
      const name = (headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
      if (isLoopbackHost(name)) return undefined;
      return { status: 403, reason: `the Host header (${JSON.stringify(headers.host ?? '')}) does not name this machine; use http://127.0.0.1 or set status.token to serve other names` };
    },
  };
}
