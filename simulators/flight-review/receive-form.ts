import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { createHasher } from '@filesync/core';
import type { FaultSpec } from './faults';
import { MultipartError, MultipartParser } from './multipart-parser';
import { ULOG_HEADER_BYTES } from './ulog-header';

export interface ReceivedFile {
  readonly field: string;
  readonly fileName: string;
  readonly size: number;
  readonly sha256: string;
  /** The first bytes of the file (for the ULog magic check). */
  readonly head: Buffer;
  /** Where the bytes were written, or undefined when the simulator only hashes (discard mode). */
  readonly tmpPath: string | undefined;
}

export interface ReceivedForm {
  readonly fields: Record<string, string>;
  readonly file: ReceivedFile | undefined;
}

/** A request that must be answered with `status` (400 malformed, 413 …). */
export class FormRejection extends Error {
  override readonly name = 'FormRejection';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The connection was dropped on purpose (a `drop` fault) or by the client. */
export class ConnectionGone extends Error {
  override readonly name = 'ConnectionGone';
}

/** Form fields are short text; anything longer is a malformed request, not a log. */
const MAX_FIELD_BYTES = 64 * 1024;

export interface ReceiveOptions {
  readonly boundary: string;
  readonly maxBytes: number;
  /** Where to write the file part; undefined to hash and discard it. */
  readonly tmpPath: string | undefined;
  readonly fault: FaultSpec | undefined;
  /** Timers of stall faults, cleared when the server closes. */
  readonly timers: Set<NodeJS.Timeout>;
}

/**
 * Reads a multipart body as it arrives: fields into memory, the first file part to disk (or only
 * into a hash), applying a `stall` or `drop` fault at its byte offset.
 */
export function receiveForm(req: IncomingMessage, options: ReceiveOptions): Promise<ReceivedForm> {
  return new Promise<ReceivedForm>((resolve, reject) => {
    const fields: Record<string, string> = {};
    let file: { field: string; fileName: string; size: number; hasher: ReturnType<typeof createHasher>; head: Buffer[]; headLen: number } | undefined;
    let sink: WriteStream | undefined;
    let part: { name: string; isFile: boolean; chunks: Buffer[]; size: number } | undefined;
    let received = 0;
    let settled = false;
    let holds = 0;
    const fault = options.fault;
    let stalled = false;

    const hold = (): void => {
      if (holds++ === 0) req.pause();
    };
    const release = (): void => {
      if (--holds === 0 && !settled) req.resume();
    };
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      sink?.destroy();
      if (options.tmpPath) void rm(options.tmpPath, { force: true });
      reject(err);
    };

    const parser = new MultipartParser(options.boundary, {
      onPartStart(info) {
        const isFile = info.filename !== undefined && file === undefined;
        part = { name: info.name, isFile, chunks: [], size: 0 };
        if (!isFile) return;
        file = { field: info.name, fileName: info.filename ?? '', size: 0, hasher: createHasher('sha256'), head: [], headLen: 0 };
        if (options.tmpPath) {
          sink = createWriteStream(options.tmpPath);
          sink.on('error', (err) => fail(err));
        }
      },
      onPartData(chunk) {
        if (!part) return;
        if (part.isFile && file) {
          file.size += chunk.length;
          file.hasher.update(chunk);
          if (file.headLen < ULOG_HEADER_BYTES) {
            const take = chunk.subarray(0, ULOG_HEADER_BYTES - file.headLen);
            file.head.push(Buffer.from(take));
            file.headLen += take.length;
          }
          if (sink && !sink.write(chunk)) {
            hold();
            sink.once('drain', release);
          }
          return;
        }
        part.size += chunk.length;
        if (part.size > MAX_FIELD_BYTES) throw new FormRejection(400, `field ${part.name} is too long`);
        // Copied: a slice would keep the whole network chunk alive.
        part.chunks.push(Buffer.from(chunk));
      },
      onPartEnd() {
        if (part && !part.isFile) fields[part.name] = Buffer.concat(part.chunks).toString('utf8');
        part = undefined;
      },
    });

    const feed = (chunk: Buffer): void => {
      try {
        parser.write(chunk);
      } catch (err) {
        fail(err instanceof MultipartError ? new FormRejection(400, `malformed form: ${err.message}`) : (err as Error));
      }
    };

    const pauseFor = (delayMs: number): void => {
      hold();
      const timer = setTimeout(() => {
        options.timers.delete(timer);
        release();
      }, delayMs);
      options.timers.add(timer);
    };

    const stall = (delayMs: number): void => {
      stalled = true;
      pauseFor(delayMs);
    };

    if (fault?.type === 'stall' && fault.afterBytes === 0) stall(fault.delayMs);

    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (fault?.type === 'drop' && received + chunk.length >= fault.afterBytes) {
        feed(chunk.subarray(0, fault.afterBytes - received));
        req.socket.destroy();
        fail(new ConnectionGone(`dropped after ${fault.afterBytes} body bytes (fault)`));
        return;
      }
      received += chunk.length;
      // Tornado's max_body_size check, for bodies sent without a Content-Length.
      if (received > options.maxBytes) {
        fail(new FormRejection(400, 'Content-Length too long'));
        return;
      }
      feed(chunk);
      if (fault?.type === 'stall' && !stalled && received >= fault.afterBytes) stall(fault.delayMs);
      if (fault?.type === 'throttle') pauseFor((chunk.length / fault.bytesPerSec) * 1000);
    });
    req.on('error', (err) => fail(err));
    req.on('close', () => {
      if (!req.complete) fail(new ConnectionGone('client went away mid-body'));
    });
    req.on('end', () => {
      if (settled) return;
      try {
        parser.end();
      } catch (err) {
        fail(new FormRejection(400, `malformed form: ${(err as Error).message}`));
        return;
      }
      const done = (): void => {
        if (settled) return;
        settled = true;
        resolve({
          fields,
          file: file && {
            field: file.field,
            fileName: file.fileName,
            size: file.size,
            sha256: file.hasher.digest(),
            head: Buffer.concat(file.head),
            tmpPath: sink ? options.tmpPath : undefined,
          },
        });
      };
      if (sink) sink.end(done);
      else done();
    });
  });
}
