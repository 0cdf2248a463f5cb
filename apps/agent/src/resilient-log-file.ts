import type { DestinationStream } from 'pino';

/** The open log file: a stream that emits 'error' when a write fails (sonic-boom). */
export interface LogStream extends DestinationStream {
  on(event: 'error', listener: (err: Error) => void): unknown;
  flush(cb: (err?: Error) => void): void;
  destroy(): void;
}

export interface ResilientLogFile extends DestinationStream {
  flush(cb?: (err?: Error) => void): void;
}

/** The soonest a failed log file is opened again. */
const REOPEN_MS = 5_000;

/**
 * pino's destination for the log file, kept through a full disk. A write that fails (ENOSPC) emits
 * 'error' on the stream, which, unheard, ends the agent — and on a companion computer the full disk
 * is the one that holds the catalog and staging too, which the agent survives. Lines logged while no
 * file is open are counted, not kept. The first line at least `reopenMs` after a failure opens the
 * file again, and the first line written there says how many were lost; if the disk is still full
 * it fails the same way, and is retried later.
 */
export async function resilientLogFile(open: () => Promise<LogStream>, warn: (message: string) => void, reopenMs = REOPEN_MS, now = Date.now): Promise<ResilientLogFile> {
  let current: LogStream | undefined;
  let opening = false;
  let failedAt = 0;
  let lost = 0;
  let lastError = '';

  const failed = (err: unknown): void => {
    failedAt = now();
    lastError = err instanceof Error ? err.message : String(err);
  };
  const watch = (stream: LogStream): LogStream => {
    stream.on('error', (err) => {
      if (current !== stream) return;
      current = undefined;
      failed(err);
      // What it still buffers would fail the same way; its descriptor is freed, not leaked per failure.
      stream.destroy();
      warn(`filesync: the log file cannot be written (${err.message}); log lines are dropped until it can, retried every ${reopenMs / 1000} s`);
    });
    return stream;
  };
  const reopen = (): void => {
    opening = true;
    open().then(
      (stream) => {
        opening = false;
        current = watch(stream);
        current.write(`${JSON.stringify({ level: 40, time: now(), msg: `${lost} log line(s) lost: the log file could not be written (${lastError})` })}\n`);
        lost = 0;
      },
      (err: unknown) => {
        opening = false;
        failed(err);
      },
    );
  };
  // A log file that cannot be opened at start (its folder unreadable, the disk full) does not keep
  // the agent from starting either: it is tried again as lines come.
  await open().then(
    (stream) => void (current = watch(stream)),
    (err: unknown) => {
      failed(err);
      warn(`filesync: the log file cannot be opened (${lastError}); log lines are dropped until it can, retried every ${reopenMs / 1000} s`);
    },
  );

  return {
    write(line: string) {
      if (current) return void current.write(line);
      lost++;
      if (!opening && now() - failedAt >= reopenMs) reopen();
    },
    flush(cb = () => undefined) {
      if (current) current.flush(() => cb());
      else cb();
    },
  };
}
