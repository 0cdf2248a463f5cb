import { createReadStream } from 'node:fs';
import { type Agent as HttpAgent, type ClientRequest, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { type Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { type Clock, type FilesyncError, TransientError } from '@filesync/core';
import { classify } from './errors';
import type { MultipartFrame } from './multipart';

export interface PostFileRequest {
  readonly url: URL;
  readonly frame: MultipartFrame;
  /** The in-transit copy on local disk, streamed between the frame's head and tail. */
  readonly file: string;
  readonly size: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly agent: HttpAgent | HttpsAgent;
}

export interface PostAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The first 64 KiB of the answer (an upload site answers a redirect, a URL or a short page). */
  readonly body: string;
}

/**
 * A POST that got no HTTP answer. `bodySent` tells whether every byte reached the socket: if not,
 * the server cannot have accepted the upload; if so, it may have, and only a lookup can tell.
 */
export class PostFailure extends Error {
  override readonly name = 'PostFailure';
  constructor(
    readonly error: FilesyncError,
    readonly bodySent: boolean,
  ) {
    super(error.message, { cause: error });
  }
}

const MAX_ANSWER_BYTES = 64 * 1024;
const FILE_CHUNK_BYTES = 64 * 1024;

/** Resolves on 'drain', or on 'close' so a destroyed request cannot leave the pump waiting. */
function drained(req: ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      req.off('drain', done);
      req.off('close', done);
      resolve();
    };
    req.on('drain', done);
    req.on('close', done);
  });
}

/**
 * Streams one multipart POST with `node:http`: the file goes from disk to the socket in 64 KiB
 * chunks under the socket's backpressure, so memory stays flat whatever the file size. An answer
 * that arrives before the body is finished (413, 400 "Content-Length too long") stops the upload
 * at once. Redirects are not followed: a 302 is the answer (its Location is the log's URL).
 */
export function postFile(request: PostFileRequest): Promise<PostAnswer> {
  const { url, frame, clock } = request;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const length = frame.head.length + request.size + frame.tail.length;
  const req = send(url, {
    method: 'POST',
    agent: request.agent,
    headers: {
      ...request.headers,
      'content-type': frame.contentType,
      'content-length': String(length),
      accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
    },
  });

  return new Promise<PostAnswer>((resolve, reject) => {
    let settled = false;
    let answered = false;
    let bodySent = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      fn();
    };
    const fail = (err: unknown): void => {
      finish(() => {
        req.destroy();
        reject(new PostFailure(classify(err), bodySent));
      });
    };
    // A limit on silence, not on the whole POST: a 300 MB log over a slow uplink takes longer than any
    // sane total limit, while a stalled server shows as no progress. Re-armed after every chunk.
    let timer: unknown;
    const arm = (): void => {
      clock.clearTimeout(timer);
      timer = clock.setTimeout(() => {
        const what = bodySent ? 'no answer' : 'no progress';
        fail(new TransientError('timeout', `${what} from ${url.host} for ${request.timeoutMs} ms`, { detail: { timeoutMs: request.timeoutMs, bodySent } }));
      }, request.timeoutMs);
    };
    arm();

    req.on('error', fail);
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (kept >= MAX_ANSWER_BYTES) return;
        chunks.push(chunk.subarray(0, MAX_ANSWER_BYTES - kept));
        kept += chunk.length;
      });
      res.on('error', fail);
      res.on('end', () => {
        finish(() => {
          // An early answer leaves the body unfinished; the connection cannot be reused.
          if (!bodySent) req.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
    });

    const pump = async (): Promise<void> => {
      if (!req.write(frame.head)) await drained(req);
      const stream = createReadStream(request.file, { highWaterMark: FILE_CHUNK_BYTES });
      try {
        let sent = 0;
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          if (settled || answered) return;
          // The copy must not change under us; a longer file would break the announced length.
          if (sent + chunk.length > request.size) throw new TransientError('conflict', 'in-transit copy grew while it was sent');
          sent += chunk.length;
          if (!req.write(chunk)) await drained(req);
          if (!settled) arm();
        }
        if (sent !== request.size) throw new TransientError('conflict', `in-transit copy has ${sent} bytes, expected ${request.size}`);
      } finally {
        stream.destroy();
      }
      if (settled || answered) return;
      req.end(frame.tail);
      bodySent = true;
      arm();
    };
    pump().catch(fail);
  });
}
