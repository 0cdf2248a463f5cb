import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';

/**
 * The parts of ftp-srv's connection object the simulator's command handlers use. ftp-srv ships
 * no types for them; they are stable in 4.x (src/connection.js, src/connector/*.js, src/fs.js).
 */
export interface SrvConnection {
  readonly server: { readonly options: { readonly tls?: SecureContextOptions | false } };
  commandSocket: Socket;
  secure: boolean;
  readonly connector: { waitForConnection(): Promise<Socket>; readonly socket: Socket | null; end(): void };
  readonly fs: { _resolvePath(path: string): { fsPath: string; clientPath: string } } | undefined;
  restByteCount: number | undefined;
  renameFrom?: string;
  reply(code: number, ...messages: Array<string | { message: string; raw?: boolean }>): Promise<unknown>;
}

export interface SrvCommand {
  readonly directive: string;
  readonly arg: string | null;
}

export type SrvHandler = (this: SrvConnection, args: { command: SrvCommand; log: unknown }) => unknown;

export interface SrvRegistryEntry {
  directive: string | string[];
  handler: SrvHandler;
  syntax?: string;
  description?: string;
  flags?: { feat?: string; no_auth?: boolean };
}

const require = createRequire(import.meta.url);

/** ftp-srv's command table: one object shared by every server in the process. */
export const registry = require('ftp-srv/src/commands/registry') as Record<string, SrvRegistryEntry>;

/** A logger that drops everything: ftp-srv's default bunyan logger writes to stdout, where the ready line goes. */
export const silentLog: Record<string, unknown> = {};
for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal']) silentLog[level] = () => undefined;
silentLog['child'] = () => silentLog;
