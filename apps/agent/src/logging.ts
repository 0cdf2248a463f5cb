import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import type { Config } from '@filesync/core/config';
import { type LogTransport, resilientLogFile } from './resilient-log-file';

/** Secrets never reach a log line, whatever object they ride in on. */
export const REDACT_PATHS = ['password', '*.password', '*.*.password', 'config.sources[*].password', 'config.targets[*].password'];

/**
 * The agent's logger: JSON lines to a size-rotated file (pino-roll; the original tool's unrotated
 * logs filled the disk), or to stdout when `log.file` is "-". A log file that cannot be written (a full
 * disk) drops lines and is opened again later; it never stops the agent (resilient-log-file.ts).
 */
export function createLogger(config: Config, fileOptions: { reopenMs?: number } = {}): Logger {
  const options = { level: config.log.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  const file = config.log.file;
  if (file === undefined || file === '-') return pino(options);
  mkdirSync(dirname(file), { recursive: true });
  const open = (): LogTransport =>
    pino.transport({
      target: 'pino-roll',
      options: {
        file,
        size: `${Math.max(1, Math.ceil(config.log.maxBytes / 1024))}k`,
        limit: { count: config.log.files },
        mkdir: true,
      },
    });
  return pino(options, resilientLogFile(open, (message) => process.stderr.write(`${message}\n`), fileOptions.reopenMs));
}
