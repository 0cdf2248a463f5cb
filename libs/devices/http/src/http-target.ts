import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent, type IncomingMessage, request as httpGet } from 'node:http';
import { Agent as HttpsAgent, request as httpsGet } from 'node:https';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  type CommitReceipt,
  type ExpectedContent,
  type FilesyncError,
  PermanentError,
  type ReadOptions,
  type Target,
  TransientError,
  backoffDelay,
  createHasher,
  sleep,
  systemClock,
  writeFully,
} from '@filesync/core';
import { classify, classifyHttpStatus } from './errors';
import { multipartFrame } from './multipart';
import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_RETRY_AFTER_SEC,
  DEFAULT_TIMEOUT_SEC,
  FLIGHT_REVIEW_MAX_BYTES,
  HTTP_BACKOFF,
  type HttpTargetOptions,
  checkFlightReviewFields,
} from './options';
import { type PostAnswer, PostFailure, postFile } from './post-file';
import { type ReceiptRules, judgeAnswer, logPageOf } from './receipt';
import { type PendingAttempt, Spool } from './spool';

/** A `Target` for upload sites, plus the crash-recovery lookup the pipeline may call itself. */
export interface HttpTarget extends Target {
  /** True when `lookupUrl` is set, i.e. the site can say whether a POST with a given key landed. */
  readonly canLookup: boolean;
  /**
   * The log URL a POST with this `Idempotency-Key` created, or undefined when the site has none
   * (or cannot tell: `!canLookup`). Rejects with a classified error when the lookup itself fails.
   */
  findUpload(key: string): Promise<string | undefined>;
}

/** What one POST ended in, before the retry decision. */
type Outcome = { readonly url: string } | { readonly error: FilesyncError; readonly ambiguous: boolean; readonly retryAfterMs: number | undefined };

/**
 * An HTTP upload target: PX4 Flight Review (`POST /upload`) or a generic multipart form.
 *
 * Upload sites name files themselves and cannot resume, so the Target contract maps like this:
 * - `write(path, 0, data)` copies the bytes to a local in-transit file in `spoolDir` (streamed,
 *   fsynced) and records their size and sha256. Nothing goes over the network yet.
 * - `commit(path, expected)` checks that copy against `expected` (a mismatch never reaches the
 *   site), records the attempt (journal, then `onAttemptStart`), and POSTs it with bounded retries:
 *   5xx, 408, 429 (honouring `Retry-After`), connection errors and timeouts are retried with
 *   backoff; other 4xx fail at once as `PermanentError`. The receipt's `location` is the absolute
 *   URL of the log's page.
 * - After a crash mid-POST, `commit` first looks for the recorded attempts' keys (`lookupUrl`)
 *   before sending again. Where the site offers no lookup, what remains is at most one duplicate
 *   log per crash in the POST's last round trip (the site stored it, the answer was lost) — never
 *   a lost upload, since the journal is only cleared after the receipt is recorded.
 */
export function createHttpTarget(options: HttpTargetOptions): HttpTarget {
  const flightReview = options.mode === 'flight-review';
  const clock = options.clock ?? systemClock;
  const fileField = options.fileField ?? 'filearg';
  const configured = options.fields ?? {};
  if (flightReview) checkFlightReviewFields(configured);
  const maxBytes = options.maxBytes ?? (flightReview ? FLIGHT_REVIEW_MAX_BYTES : Number.POSITIVE_INFINITY);
  const timeoutMs = (options.timeoutSec ?? DEFAULT_TIMEOUT_SEC) * 1000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const maxRetryAfterMs = (options.maxRetryAfterSec ?? DEFAULT_MAX_RETRY_AFTER_SEC) * 1000;
  const base = new URL(options.url);
  // Flight Review takes the site's base URL; "…/upload" is accepted too.
  const postUrl = flightReview ? new URL(base.pathname.replace(/\/?(upload)?\/?$/, '/upload'), base) : base;
  const agent = base.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const spool = new Spool(options.spoolDir);
  const ready = spool.ensureDir();

  /** Flight Review needs description and email (upload.py reads them unconditionally). */
  const fieldsFor = (path: string): Record<string, string> =>
    flightReview ? { description: basename(path), email: '', source: 'filesync', type: 'personal', ...configured } : { ...configured };

  const receiptRules = (): ReceiptRules => ({ targetId: options.id, postUrl, flightReview, now: clock.now() });

  function judge(answer: PostAnswer): Outcome {
    const judged = judgeAnswer(answer, receiptRules());
    return 'url' in judged ? judged : { ...judged, ambiguous: false };
  }

  async function postOnce(path: string, size: number, key: string): Promise<Outcome> {
    const frame = multipartFrame(fieldsFor(path), { field: fileField, fileName: basename(path) });
    try {
      const answer = await postFile({
        url: postUrl,
        frame,
        file: spool.dataPath(path),
        size,
        headers: { 'idempotency-key': key },
        timeoutMs,
        clock,
        agent,
      });
      return judge(answer);
    } catch (err) {
      if (err instanceof PostFailure) return { error: err.error, ambiguous: err.bodySent, retryAfterMs: undefined };
      return { error: classify(err), ambiguous: false, retryAfterMs: undefined };
    }
  }

  function getJson(url: URL): Promise<{ status: number; json: unknown }> {
    const get = url.protocol === 'https:' ? httpsGet : httpGet;
    return new Promise((resolve, reject) => {
      const req = get(url, { method: 'GET', agent, headers: { accept: 'application/json' } });
      const timer = clock.setTimeout(() => req.destroy(new TransientError('timeout', `lookup at ${url.host} timed out`)), Math.min(timeoutMs, 30_000));
      req.on('error', (err) => {
        clock.clearTimeout(timer);
        reject(classify(err));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(classify(err)));
        res.on('end', () => {
          clock.clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      });
      req.end();
    });
  }

  async function findUpload(key: string): Promise<string | undefined> {
    if (!options.lookupUrl) return undefined;
    const url = new URL(options.lookupUrl);
    url.searchParams.set('key', key);
    const { status, json } = await getJson(url);
    if (status === 404) return undefined;
    const found = (json as { url?: unknown } | null)?.url;
    if (status === 200 && typeof found === 'string') {
      const page = logPageOf(found, status, receiptRules());
      if ('url' in page) return page.url;
      throw page.error;
    }
    throw classifyHttpStatus(status === 200 ? 502 : status, typeof json === 'string' ? json : JSON.stringify(json));
  }

  /** Looks up earlier attempts of the same content; the first hit is the log to keep. */
  async function findPending(pending: readonly PendingAttempt[], expected: ExpectedContent): Promise<string | undefined> {
    if (!options.lookupUrl) return undefined;
    for (const attempt of pending) {
      if (attempt.sha256 !== expected.sha256 || attempt.size !== expected.size) continue;
      const url = await findUpload(attempt.key);
      if (url) return url;
    }
    return undefined;
  }

  async function finish(path: string, expected: ExpectedContent, url: string, outcome: CommitReceipt['outcome']): Promise<CommitReceipt> {
    // The receipt is durable before the in-transit copy and its journal go: never a lost upload.
    await spool.writeDone({ path, url, size: expected.size, sha256: expected.sha256, at: clock.now() });
    await spool.discard(path);
    return { location: url, outcome };
  }

  async function sendWithRetries(path: string, expected: ExpectedContent, pending: readonly PendingAttempt[]): Promise<CommitReceipt> {
    const key = randomUUID();
    const attempt: PendingAttempt = { key, size: expected.size, sha256: expected.sha256, startedAt: clock.now() };
    await spool.writeMeta({ path, size: expected.size, sha256: expected.sha256, pending: [...pending, attempt] });
    for (let n = 1; ; n++) {
      await options.onAttemptStart?.({ targetId: options.id, path, key, size: expected.size, sha256: expected.sha256, try: n, startedAt: clock.now() });
      const outcome = await postOnce(path, expected.size, key);
      if ('url' in outcome) return finish(path, expected, outcome.url, 'committed');
      if (outcome.error.kind === 'permanent') {
        await spool.discard(path);
        throw outcome.error;
      }
      if (outcome.ambiguous) {
        // The whole body went out and no answer came back: the site may hold the log already.
        const url = await findUpload(key).catch(() => undefined);
        if (url) return finish(path, expected, url, 'committed');
      }
      if (n >= maxAttempts) throw outcome.error;
      if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > maxRetryAfterMs) throw outcome.error;
      await sleep(Math.max(outcome.retryAfterMs ?? 0, backoffDelay(options.backoff ?? HTTP_BACKOFF, n - 1)), clock);
    }
  }

  const target = {
    id: options.id,
    features: { canResume: false, atomicCommit: true, hashes: [], parallelism: 1 },
    canLookup: options.lookupUrl !== undefined,
    findUpload,
    /** From this target's receipts: upload sites cannot be asked by file name. */
    stat: async (path: string) => {
      await ready;
      const done = await spool.readDone(path);
      return done ? { size: done.size } : undefined;
    },
    /** Any answer below 500 from the upload URL: the site is there (a GET of an upload form may well be a 404 or 405). */
    probe: async () => {
      const { status, json } = await getJson(new URL(options.url));
      if (status >= 500) throw classifyHttpStatus(status, typeof json === 'string' ? json : JSON.stringify(json));
    },
    partialSize: async () => 0,
    write: async (path: string, offset: number, data: AsyncIterable<Uint8Array>, writeOptions?: ReadOptions) => {
      if (offset !== 0) {
        throw new TransientError('conflict', `${options.id} cannot resume; write ${path} from offset 0, not ${offset}`, { detail: { have: 0, offset } });
      }
      await ready;
      const before = await spool.readMeta(path);
      const pending = before?.pending ?? [];
      // Marked unfinished first, so a crash mid-write never leaves a record that vouches for a torn copy.
      await spool.writeMeta({ path, size: null, sha256: null, pending });
      const hasher = createHasher('sha256');
      let size = 0;
      const handle = await open(spool.dataPath(path), 'w').catch((err: unknown) => Promise.reject(classify(err)));
      try {
        for await (const chunk of data) {
          writeOptions?.signal?.throwIfAborted();
          size += chunk.length;
          if (size > maxBytes) {
            throw new PermanentError('bad-request', `${path} is larger than ${options.id} accepts (${maxBytes} bytes)`, { detail: { maxBytes } });
          }
          hasher.update(chunk);
          await writeFully(handle, chunk, size - chunk.length);
        }
        await handle.sync();
      } catch (err) {
        await handle.close();
        await spool.discard(path);
        // Keys of earlier POSTs whose outcome is unknown must outlive a failed write: the next commit looks them up.
        if (pending.length > 0) await spool.writeMeta({ path, size: null, sha256: null, pending });
        throw classify(err);
      }
      await handle.close();
      await spool.writeMeta({ path, size, sha256: hasher.digest(), pending });
    },
    commit: async (path: string, expected: ExpectedContent): Promise<CommitReceipt> => {
      await ready;
      const done = await spool.readDone(path);
      const sameAsDone = done !== undefined && done.sha256 === expected.sha256 && done.size === expected.size;
      const meta = await spool.readMeta(path);
      const spooled = meta?.size != null ? await stat(spool.dataPath(path)).then((s) => s.size, () => undefined) : undefined;
      if (!meta || meta.size === null || spooled !== meta.size) {
        if (sameAsDone) return { location: done.url, outcome: 'already-present' };
        const found = meta ? await findPending(meta.pending, expected) : undefined;
        if (found) return finish(path, expected, found, 'already-present');
        throw new TransientError('conflict', `in-transit copy of ${path} is missing; upload it again`);
      }
      if (meta.size !== expected.size || meta.sha256 !== expected.sha256) {
        await spool.discard(path);
        throw new PermanentError('checksum-mismatch', `in-transit copy of ${path} does not match (size ${meta.size}, expected ${expected.size})`, {
          detail: { size: meta.size, expected: expected.size },
        });
      }
      if (sameAsDone) {
        await spool.discard(path);
        return { location: done.url, outcome: 'already-present' };
      }
      const found = await findPending(meta.pending, expected);
      if (found) return finish(path, expected, found, 'already-present');
      return sendWithRetries(path, expected, meta.pending);
    },
    close: async () => {
      agent.destroy();
    },
  } satisfies HttpTarget;
  return flightReview ? { ...target, read: (location: string, readOptions?: ReadOptions) => downloadLog(location, readOptions) } : target;

  /** Flight Review serves a log's file at `/download?log=<id>`. */
  async function* downloadLog(location: string, readOptions?: ReadOptions): AsyncIterable<Uint8Array> {
    const id = new URL(location, postUrl).searchParams.get('log');
    if (!id) throw new PermanentError('bad-request', `not a Flight Review log URL: ${location}`);
    const url = new URL(`download?log=${encodeURIComponent(id)}`, new URL(postUrl.href.replace(/upload$/, '')));
    const get = url.protocol === 'https:' ? httpsGet : httpGet;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = get(url, { agent, ...(readOptions?.signal ? { signal: readOptions.signal } : {}) });
      req.on('response', resolve);
      req.on('error', (err) => reject(classify(err)));
      req.end();
    });
    if (res.statusCode !== 200) {
      res.resume();
      throw classifyHttpStatus(res.statusCode ?? 0, '');
    }
    for await (const chunk of res as AsyncIterable<Buffer>) yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
  }
}
