import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import { Client } from 'basic-ftp';
import { type Clock, type FilesyncError, PermanentError, TransientError, isFilesyncError, systemClock } from '@filesync/core';
import { devicePassword } from '@filesync/core/config';
import { type Redact, classify, ftpCode } from './errors';
import { type FtpConnectionOptions, type FtpLog, type ResolvedEndpoint, resolveEndpoint, secretForms } from './options';
import { type ServerFeatures, parseFeatures } from './server-features';
import { ParkedTransfers } from './parked-transfers';

/** One logged-in control connection, with what the server offers. */
export interface FtpSession {
  readonly client: Client;
  readonly features: ServerFeatures;
  /** The login directory (PWD), so that every command can use absolute paths. */
  readonly home: string;
}

interface Idle {
  readonly session: FtpSession;
  readonly since: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_KEEPALIVE_MS = 20_000;
const DEFAULT_MAX_CONNECTIONS = 2;

/**
 * A small pool of FTP control connections. A connection is reused for the next operation (no
 * login per file) and kept alive with NOOP while idle; one that failed below the FTP level is
 * closed and replaced on the next use. FTP runs one command at a time per connection, so each
 * operation holds its connection until it ends.
 */
export class FtpConnectionPool {
  readonly endpoint: ResolvedEndpoint;
  /** Set once the first connection has logged in; the device refines its features from it. */
  serverFeatures: ServerFeatures | undefined;
  private readonly options: FtpConnectionOptions;
  private readonly idle: Idle[] = [];
  private readonly live = new Set<FtpSession>();
  private readonly waiters = new Set<() => void>();
  private open = 0;
  private closed = false;
  /** Reads stopped between chunks, holding their connections for a moment (see ParkedTransfers). */
  readonly parked = new ParkedTransfers(
    (session) => this.discard(session),
    () => this.wake(),
  );
  private secrets: string[] = [];
  private keepAliveTimer: unknown;
  private readonly clock: Clock;
  private readonly onFirstConnect: ((features: ServerFeatures) => void) | undefined;

  constructor(options: FtpConnectionOptions, extraDir: string, onFirstConnect?: (features: ServerFeatures) => void) {
    this.options = options;
    this.endpoint = resolveEndpoint(options, extraDir);
    this.onFirstConnect = onFirstConnect;
    for (const s of [options.password, this.endpoint.urlPassword]) if (s !== undefined) this.secrets.push(...secretForms(s));
    this.clock = options.clock ?? systemClock;
    const every = options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS;
    if (every > 0) this.scheduleKeepAlive(every);
  }

  /** Strips every known form of the password from text. */
  readonly redact: Redact = (text) => {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  };

  classify(err: unknown): FilesyncError {
    return classify(err, this.redact);
  }

  cancelled(): TransientError {
    return new TransientError('cancelled', `transfer with ${this.endpoint.display} cancelled`);
  }

  /** Logs through the configured sink, always redacted. */
  log(level: Parameters<FtpLog>[0], message: string, fields?: Record<string, unknown>): void {
    if (!this.options.log) return;
    const safeFields = fields === undefined ? undefined : (JSON.parse(this.redact(JSON.stringify(fields))) as Record<string, unknown>);
    this.options.log(level, this.redact(message), safeFields);
  }

  /**
   * Runs `fn` on a connection. Errors come back classified. After a failure below the FTP level
   * (socket, timeout, TLS) or any failure in a `transfer`, the connection is closed rather than
   * reused, since its state is unknown.
   */
  async use<T>(fn: (session: FtpSession) => Promise<T>, opts: { transfer?: boolean; signal?: AbortSignal } = {}): Promise<T> {
    let session: FtpSession;
    try {
      session = await this.acquire(opts.signal);
    } catch (err) {
      if (opts.signal?.aborted) throw this.cancelled();
      throw err;
    }
    const onAbort = (): void => session.client.close();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await fn(session);
      this.release(session);
      return result;
    } catch (err) {
      // Our own refusals (conflict, checksum) leave the connection as good as it was.
      const reusable = !session.client.closed && (isFilesyncError(err) || (!opts.transfer && ftpCode(err) !== undefined));
      if (reusable) this.release(session);
      else this.discard(session);
      if (opts.signal?.aborted) throw this.cancelled();
      throw classify(err, this.redact);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Takes a connection for a caller that streams (reads): give it back with `release` or `discard`. */
  async acquire(signal?: AbortSignal): Promise<FtpSession> {
    for (;;) {
      if (this.closed) throw new TransientError('cancelled', `connection pool for ${this.endpoint.display} is closed`);
      signal?.throwIfAborted();
      const idle = this.idle.pop();
      if (idle) {
        if (!idle.session.client.closed) return idle.session;
        this.discard(idle.session);
        continue;
      }
      if (this.open < (this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS)) {
        this.open++;
        try {
          return await this.connect();
        } catch (err) {
          this.open--;
          this.wake();
          throw classify(err, this.redact);
        }
      }
      // A kept read waits for a reader that may not come: its connection goes to one who is here.
      if (this.parked.dropOldest()) continue;
      await this.waitForChange(signal);
    }
  }

  /**
   * Resolves at the pool's next change (a connection given back, closed or parked) or on abort.
   * Every waiter looks again, so a waiter that gave up cannot swallow the wake-up another needed.
   */
  private waitForChange(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  release(session: FtpSession): void {
    if (this.closed || session.client.closed) {
      this.discard(session);
      return;
    }
    this.idle.push({ session, since: this.clock.monotonic() });
    this.wake();
  }

  discard(session: FtpSession): void {
    session.client.close();
    if (!this.live.delete(session)) return;
    this.open = Math.max(0, this.open - 1);
    this.wake();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.parked.clear();
    if (this.keepAliveTimer !== undefined) this.clock.clearTimeout(this.keepAliveTimer);
    // basic-ftp's close sends QUIT without waiting for the reply, so a silent server cannot hold us.
    for (const { session } of this.idle.splice(0)) session.client.close();
    for (const session of this.live) session.client.close();
    this.live.clear();
    this.open = 0;
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private async connect(): Promise<FtpSession> {
    const { host, port, secure, user, display } = this.endpoint;
    const password = devicePassword(this.options, this.endpoint.urlPassword);
    if (password !== undefined) for (const s of secretForms(password)) if (!this.secrets.includes(s)) this.secrets.push(s);
    const client = new Client(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    // basic-ftp logs every command and reply when verbose (it masks PASS itself; we redact again).
    client.ftp.verbose = this.options.log !== undefined;
    client.ftp.log = (message: string) => this.log('debug', message, { url: display });
    try {
      await client.access({
        host,
        port,
        user,
        password: password ?? 'anonymous@',
        secure: secure === 'explicit' ? true : secure === 'implicit' ? 'implicit' : false,
        secureOptions: secure === false ? undefined : await this.tlsOptions(),
      });
      const features = parseFeatures(await client.features());
      const home = await client.pwd();
      const session: FtpSession = { client, features, home };
      this.live.add(session);
      if (this.serverFeatures === undefined) {
        this.serverFeatures = features;
        this.onFirstConnect?.(features);
      }
      this.log('info', `connected to ${display}`, { user, secure, features: describeFeatures(features) });
      return session;
    } catch (err) {
      client.close();
      throw err;
    }
  }

  private async tlsOptions(): Promise<ConnectionOptions> {
    const options: ConnectionOptions = { host: this.endpoint.host, servername: isIp(this.endpoint.host) ? undefined : this.endpoint.host, rejectUnauthorized: true };
    if (this.options.caFile === undefined) return options;
    let pem: string;
    try {
      pem = await readFile(this.options.caFile, 'utf8');
    } catch (err) {
      throw new PermanentError('bad-request', `caFile: cannot read ${this.options.caFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
        detail: { field: 'caFile' },
      });
    }
    return { ...options, ca: [...rootCertificates, pem] };
  }

  private scheduleKeepAlive(everyMs: number): void {
    if (this.closed) return;
    this.keepAliveTimer = this.clock.setTimeout(() => {
      void this.pingIdle(everyMs).finally(() => this.scheduleKeepAlive(everyMs));
    }, Math.max(250, Math.floor(everyMs / 2)));
    // A pool nobody closed must not keep the process alive for its keep-alive alone.
    (this.keepAliveTimer as { unref?: () => void }).unref?.();
  }

  private async pingIdle(everyMs: number): Promise<void> {
    const now = this.clock.monotonic();
    for (const entry of [...this.idle]) {
      if (now - entry.since < everyMs) continue;
      const at = this.idle.indexOf(entry);
      if (at < 0) continue;
      this.idle.splice(at, 1);
      try {
        await entry.session.client.send('NOOP');
        this.release(entry.session);
      } catch {
        this.discard(entry.session); // a dead connection is replaced on next use
      }
    }
  }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

function describeFeatures(f: ServerFeatures): Record<string, unknown> {
  return { size: f.size, rest: f.rest, mlst: f.mlst, mdtm: f.mdtm, hashes: [...f.hashes.keys()] };
}
