import type { DestinationStream } from 'pino';

/** What pino.transport() gives: a stream in a worker thread that emits 'error' when that worker fails. */
export interface LogTransport extends DestinationStream {
  on(event: 'error', listener: (err: Error) => void): unknown;
  flush(cb: (err?: Error) => void): void;
}

export interface ResilientLogFile extends DestinationStream {
  flush(cb?: (err?: Error) => void): void;
}

/** The soonest a failed log file is opened again. */
const REOPEN_MS = 5_000;

/**
 * pino's destination for the log file, kept through a full disk. The file is written in a worker thread
 * (pino-roll, through pino.transport); a write that fails there (ENOSPC) ends that worker and emits
 * 'error', which, unheard, ends the agent — and on a companion computer the full disk is the one that
 * holds the catalog and staging too, which the agent survives. Lines logged while no worker runs are
 * counted, not kept. The first line at least `reopenMs` after a failure opens a new worker, whose first
 * line says how many were lost; if the disk is still full it fails the same way, and is retried later.
 */
export function resilientLogFile(open: () => LogTransport, warn: (message: string) => void, reopenMs = REOPEN_MS, now = Date.now): ResilientLogFile {
  let current: LogTransport | undefined;
  let failedAt = 0;
  let lost = 0;
  let lastError = '';

  const start = (): LogTransport => {
    const transport = open();
    transport.on('error', (err) => {
      if (current !== transport) return;
      current = undefined;
      failedAt = now();
      lastError = err.message;
      warn(`filesync: the log file cannot be written (${err.message}); log lines are dropped until it can, retried every ${reopenMs / 1000} s`);
    });
    return transport;
  };
  current = start();

  return {
    write(line: string) {
      if (!current && now() - failedAt >= reopenMs) {
        current = start();
        const note = { level: 40, time: now(), msg: `${lost} log line(s) lost: the log file could not be written (${lastError})` };
        current.write(`${JSON.stringify(note)}\n`);
        lost = 0;
      }
      if (current) current.write(line);
      else lost++;
    },
    flush(cb = () => undefined) {
      if (current) current.flush(() => cb());
      else cb();
    },
  };
}
