import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import type { Config } from '@filesync/core/config';
import { resilientLogFile } from './resilient-log-file';
import { openRollingLog } from './rolling-log-file';

/** Secrets never reach a log line, whatever object they ride in on. */
export const REDACT_PATHS = ['password', '*.password', '*.*.password', 'config.sources[*].password', 'config.targets[*].password'];

/**
 * The agent's logger: JSON lines to a size-rotated file (rolling-log-file.ts; the original tool's
 * unrotated logs filled the disk), or to stdout when `log.file` is "-". A log file that cannot be
 * written (a full disk) drops lines and is opened again later; it never stops the agent
 * (resilient-log-file.ts).
 *
 * The file is written from this thread (sonic-boom's writes are asynchronous), not through
 * `pino.transport`, which runs the writer in a worker thread of its own: a thread's memory (about
 * 9 MiB) and its start-up CPU for a few lines a second.
 */
export async function createLogger(config: Config, fileOptions: { reopenMs?: number } = {}): Promise<Logger> {
  const options = { level: config.log.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  const file = config.log.file;
  if (file === undefined || file === '-') return pino(options);
  mkdirSync(dirname(file), { recursive: true });
  const open = () => openRollingLog({ file, maxBytes: Math.max(1, Math.ceil(config.log.maxBytes / 1024)) * 1024, keep: config.log.files });
  return pino(options, await resilientLogFile(open, (message) => process.stderr.write(`${message}\n`), fileOptions.reopenMs));
}
