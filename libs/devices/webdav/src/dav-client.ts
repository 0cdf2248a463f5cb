import { type Clock, TransientError, systemClock } from '@filesync/core';
import { type Redact, classify } from './errors';

export interface DavRequest {
  readonly method: 'OPTIONS' | 'PROPFIND' | 'MKCOL' | 'PUT' | 'PATCH' | 'MOVE' | 'DELETE' | 'GET';
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
  /** A string or bytes are sent with a Content-Length; an async iterable is streamed (chunked). */
  readonly body?: string | Uint8Array | AsyncIterable<Uint8Array>;
  readonly signal?: AbortSignal | undefined;
}

/** An answer whose (small) body was read whole. */
export interface DavAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** An answer whose body is streamed (GET). */
export interface DavStream {
  readonly status: number;
  readonly headers: Headers;
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Drops the body unread (a status that is not 200). */
  discard(): Promise<void>;
}

/** Bodies of PROPFIND, MKCOL, MOVE… answers read at most this long: a listing of one resource is a few KiB. */
const MAX_ANSWER_BYTES = 1024 * 1024;

export interface DavClientOptions {
  readonly authorization: () => string | undefined;
  readonly redact: Redact;
  readonly timeoutMs: number;
  readonly clock?: Clock;
  /** Sees every answer's status first (the target reconnects after a 401, re-reading the password). */
  readonly onStatus?: (status: number) => void;
}

/**
 * One HTTP exchange with the server over Node's fetch, with the Basic credentials added, a silence
 * timeout (no body byte taken or given, or no answer, for `timeoutMs`: a limit on silence rather
 * than on the whole request, so a big file over a slow uplink still goes) and every failure without
 * an answer classified. Any HTTP status is returned; judging it is the caller's part.
 */
export class DavClient {
  private readonly closed = new AbortController();
  private readonly clock: Clock;

  constructor(private readonly options: DavClientOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** Aborts every request in flight; later calls fail as cancelled. */
  close(): void {
    this.closed.abort(new TransientError('cancelled', 'WebDAV target closed'));
  }

  async call(req: DavRequest): Promise<DavAnswer> {
    const { response, watchdog } = await this.start(req);
    try {
      const body = await readText(response, watchdog.arm);
      return { status: response.status, headers: response.headers, body };
    } catch (err) {
      throw classify(err, this.options.redact);
    } finally {
      watchdog.stop();
    }
  }

  async open(req: DavRequest): Promise<DavStream> {
    const { response, watchdog } = await this.start(req);
    const reader = response.body?.getReader();
    const redact = this.options.redact;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      if (!reader) return;
      try {
        for (;;) {
          const { done, value } = await reader.read().catch((err: unknown) => Promise.reject(classify(err, redact)));
          if (done) return;
          watchdog.arm();
          yield value;
        }
      } finally {
        watchdog.stop();
        reader.releaseLock();
        await response.body?.cancel().catch(() => undefined);
      }
    }
    return {
      status: response.status,
      headers: response.headers,
      chunks: chunks(),
      discard: async () => {
        watchdog.stop();
        reader?.releaseLock();
        await response.body?.cancel().catch(() => undefined);
      },
    };
  }

  private async start(req: DavRequest): Promise<{ response: Response; watchdog: Watchdog }> {
    const silence = new AbortController();
    const what = `${req.method} ${req.url.pathname}`;
    const watchdog = new Watchdog(this.clock, this.options.timeoutMs, () =>
      silence.abort(new TransientError('timeout', `${what}: no progress for ${this.options.timeoutMs} ms`)),
    );
    const signals = [silence.signal, this.closed.signal, ...(req.signal ? [req.signal] : [])];
    const headers: Record<string, string> = { ...req.headers };
    const authorization = this.options.authorization();
    if (authorization !== undefined) headers['authorization'] = authorization;
    const init: RequestInit & { duplex?: 'half' } = { method: req.method, headers, signal: AbortSignal.any(signals), redirect: 'manual' };
    if (typeof req.body === 'string' || req.body instanceof Uint8Array) init.body = req.body;
    else if (req.body !== undefined) {
      init.body = streamOf(req.body, watchdog.arm);
      // Required by fetch for a streamed request body (sent as it is produced, chunked).
      init.duplex = 'half';
    }
    watchdog.arm();
    try {
      const response = await fetch(req.url, init);
      watchdog.arm();
      this.options.onStatus?.(response.status);
      return { response, watchdog };
    } catch (err) {
      watchdog.stop();
      throw classify(err, this.options.redact);
    }
  }
}

/** The silence timer of one request. */
class Watchdog {
  private timer: unknown;
  constructor(
    private readonly clock: Clock,
    private readonly ms: number,
    private readonly fire: () => void,
  ) {}
  readonly arm = (): void => {
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(this.fire, this.ms);
  };
  stop(): void {
    this.clock.clearTimeout(this.timer);
  }
}

function streamOf(data: AsyncIterable<Uint8Array>, onChunk: () => void): ReadableStream<Uint8Array> {
  const it = data[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await it.next();
      if (done) controller.close();
      else {
        onChunk();
        controller.enqueue(value);
      }
    },
    async cancel(reason) {
      await it.return?.(reason);
    },
  });
}

async function readText(response: Response, onChunk: () => void): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      onChunk();
      size += value.length;
      if (size > MAX_ANSWER_BYTES) break; // the rest is not needed to judge the answer
      parts.push(value);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(parts).toString('utf8');
}
