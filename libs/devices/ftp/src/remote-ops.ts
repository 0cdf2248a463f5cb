import { PassThrough, Writable } from 'node:stream';
import { type HashName, PermanentError, createHasher } from '@filesync/core';
import type { FtpConnectionPool, FtpSession } from './connection-pool';
import type { RunningTransfer } from './parked-transfers';
import { ftpCode } from './errors';
import { parentOf } from './paths';
import { parseHashReply } from './server-features';
import { readTimeVal } from './list-date';
import type { MdtmAnswer } from './listing-times';

/** Replies that mean "no such file" (550) or "not a plain file/unavailable" across servers. */
function isMissing(err: unknown): boolean {
  const code = ftpCode(err);
  return code === 550 || code === 450 || code === 551;
}

function isUnsupported(err: unknown): boolean {
  const code = ftpCode(err);
  return code === 500 || code === 502 || code === 504;
}

/**
 * The size of a file as the server reports it, or undefined when there is none. SIZE where the
 * server offers it, else MLST, else a listing of the parent directory: never a remembered number.
 */
export async function remoteSize(session: FtpSession, absPath: string): Promise<number | undefined> {
  if (session.features.size) {
    try {
      return await session.client.size(absPath);
    } catch (err) {
      if (isMissing(err)) return undefined;
      if (!isUnsupported(err)) throw err;
    }
  }
  if (session.features.mlst) {
    try {
      const res = await session.client.send(`MLST ${absPath}`);
      const facts = /(?:^|[\s;])size=(\d+);/i.exec(res.message);
      if (/type=file;/i.test(res.message) && facts?.[1] !== undefined) return Number(facts[1]);
      if (!/type=/i.test(res.message)) throw new Error(`unparsable MLST reply for ${absPath}`);
      return undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      if (!isUnsupported(err)) throw err;
    }
  }
  const name = absPath.slice(absPath.lastIndexOf('/') + 1);
  try {
    const entries = await session.client.list(parentOf(absPath));
    const entry = entries.find((e) => e.name === name && e.isFile);
    return entry?.size;
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/**
 * Asks MDTM for a file's mtime. A refusal of this file (5xx) or of the command (500/502) is an
 * answer; anything else (a 4xx, a dropped connection, a timeout) rejects, since falling back to the
 * LIST date then would give the file another mtime than the next listing will.
 */
export async function askMdtm(session: FtpSession, absPath: string): Promise<MdtmAnswer> {
  let message: string;
  try {
    message = (await session.client.send(`MDTM ${absPath}`)).message;
  } catch (err) {
    const code = ftpCode(err);
    if (code === 500 || code === 502) return { kind: 'unsupported' };
    if (code !== undefined && code >= 500) return { kind: 'refused' };
    throw err;
  }
  const reading = readTimeVal(message.replace(/^213[ -]/, ''));
  return reading === undefined ? { kind: 'refused' } : { kind: 'time', reading };
}

/**
 * Creates every directory on the way to `absDir`. MKD of an existing directory fails with 550 on
 * most servers, indistinguishable from a real refusal, so errors are ignored here and the write that
 * follows reports a directory that truly could not be made. `known` remembers made directories
 * (the pool outlives one file), so a tree of 5,000 files costs one MKD per directory.
 */
export async function ensureDir(session: FtpSession, absDir: string, known: Set<string>): Promise<void> {
  if (absDir === '/' || known.has(absDir)) return;
  const parts = absDir.split('/').filter((p) => p !== '');
  let at = '';
  for (const part of parts) {
    at = `${at}/${part}`;
    if (known.has(at) || session.home.startsWith(`${at}/`) || session.home === at) continue;
    await session.client.sendIgnoringError(`MKD ${at}`);
    known.add(at);
  }
}

/** The server's own hash of a file (HASH or XSHA256-style), as lower-case hex. */
export async function serverHash(session: FtpSession, absPath: string, hash: HashName, sizeHint = 0): Promise<string | undefined> {
  const command = session.features.hashes.get(hash);
  if (!command) return undefined;
  if (command.verb === 'HASH' && command.algorithm) await session.client.send(`OPTS HASH ${command.algorithm}`);
  // The server reads the whole file before it answers: allow it 1 s per 20 MB beyond the usual limit.
  // basic-ftp types `timeout` readonly, but reads it afresh at each command (FtpContext.handle).
  const ftp = session.client.ftp as unknown as { timeout: number };
  const usual = ftp.timeout;
  if (usual > 0 && sizeHint > 0) ftp.timeout = usual + Math.ceil(sizeHint / 20_000);
  let res: { message: string };
  try {
    res = await session.client.send(`${command.verb} ${absPath}`);
  } finally {
    ftp.timeout = usual;
  }
  const digest = parseHashReply(res.message);
  if (digest === undefined) throw new PermanentError('unsupported', `unparsable ${command.verb} reply: ${res.message}`);
  return digest;
}

/** Downloads a file and hashes it locally: the check of last resort when the server offers no hash. */
export async function downloadHash(session: FtpSession, absPath: string, hash: HashName): Promise<string> {
  const hasher = createHasher(hash);
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      hasher.update(chunk);
      done();
    },
  });
  await session.client.downloadTo(sink, absPath);
  return hasher.digest();
}

export function notFound(absPath: string): PermanentError {
  return new PermanentError('not-found', `no such file: ${absPath}`, { detail: { path: absPath } });
}

/**
 * Streams a remote file from `offset` with REST+RETR (or from 0, skipping, when the server has no
 * REST). The connection is held while the consumer reads. With `parkAs`, a consumer that stops
 * between two chunks leaves the transfer running in `pool.parked` under that key, and the next call
 * with the same key from the offset where it stopped goes on with it (nothing is sent twice);
 * otherwise stopping early closes the connection, which aborts the transfer on the server.
 */
export async function* downloadStream(
  pool: FtpConnectionPool,
  absPath: string,
  offset: number,
  signal?: AbortSignal,
  parkAs?: string,
): AsyncGenerator<Uint8Array> {
  let transfer = parkAs === undefined ? undefined : pool.parked.take(parkAs, offset);
  const session = transfer?.session ?? (await pool.acquire(signal));
  let clean = false;
  let threw = false;
  const onAbort = (): void => session.client.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (!transfer) {
      if (session.features.size) {
        const size = await remoteSize(session, absPath);
        if (size === undefined) throw notFound(absPath);
        if (offset >= size) {
          clean = true;
          return;
        }
      }
      transfer = startTransfer(session, absPath, offset > 0 && session.features.rest ? offset : 0);
    }
    let skip = offset - transfer.position;
    for (;;) {
      const next = await transfer.chunks.next();
      if (next.done) break;
      const chunk = next.value;
      transfer.position += chunk.length;
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      const out = skip > 0 ? chunk.subarray(skip) : chunk;
      skip = 0;
      yield new Uint8Array(out.buffer, out.byteOffset, out.length);
    }
    await transfer.done;
    if (transfer.outcome.failure !== undefined) throw transfer.outcome.failure;
    clean = true;
  } catch (err) {
    threw = true;
    if (signal?.aborted) throw pool.cancelled();
    const real = transfer?.outcome.failure ?? err;
    // ftp-srv answers RETR of a missing file with 551 rather than 550.
    if (ftpCode(real) === 550 || ftpCode(real) === 551) throw notFound(absPath);
    throw pool.classify(real);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (clean) pool.release(session);
    // Here only when the consumer returned at a yield: the transfer is intact, up to `position`.
    else if (parkAs !== undefined && transfer && !threw && !signal?.aborted && !session.client.closed) pool.parked.park(parkAs, transfer);
    else pool.discard(session);
  }
}

/** Starts RETR from `from` (0 or a REST offset) into a queue read chunk by chunk. */
function startTransfer(session: FtpSession, absPath: string, from: number): RunningTransfer {
  // basic-ftp pipes into `sink`, and stream.pipeline destroys it on a socket error, dropping what
  // it buffered; `queue` outlives that, so every byte that arrived is yielded before the error.
  const queue = new PassThrough({ highWaterMark: 1 << 20 });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (queue.write(chunk)) done();
      else queue.once('drain', () => done());
    },
  });
  const outcome: { failure: unknown } = { failure: undefined };
  const done = session.client.downloadTo(sink, absPath, from).then(
    () => void queue.end(),
    (err: unknown) => {
      outcome.failure = err;
      queue.end();
    },
  );
  return { session, absPath, chunks: queue[Symbol.asyncIterator]() as AsyncIterator<Buffer>, done, outcome, position: from };
}
