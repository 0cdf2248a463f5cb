import { logToParent, type LogLevel } from '@filesync/actors/actor';
import type { PipelineLogger } from '@filesync/pipeline';

/**
 * A worker's `PipelineLogger`: each line goes to the main thread over the worker's own port to its
 * parent (`logToParent`), where the agent's logger writes it (one rotated file, one redaction list).
 * A pino file transport per worker would cost every worker thread a transport thread of its own at
 * start-up, and there are four per source. Lines carry `bindings` (e.g. `{ actor: 'source:px4/downloader' }`).
 */
export function parentLogger(bindings: object): PipelineLogger {
  const send = (level: LogLevel) => (obj: object, msg?: string) => logToParent({ level, obj: { ...bindings, ...obj }, msg });
  return { debug: send('debug'), info: send('info'), warn: send('warn'), error: send('error') };
}
