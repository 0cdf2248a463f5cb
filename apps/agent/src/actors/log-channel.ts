import { BroadcastChannel } from 'node:worker_threads';
import type { PipelineLogger } from '@filesync/pipeline';

/**
 * Workers log through the main thread: each line goes over a broadcast channel to the agent's own
 * logger (one rotated file, one redaction list). A pino file transport per worker would cost every
 * worker thread a transport thread of its own at start-up, and there are four per source.
 */
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

interface LogLine {
  readonly level: Level;
  readonly obj: object;
  readonly msg: string | undefined;
}

function channelName(dataDir: string): string {
  return `filesync.log:${dataDir}`;
}

/** The worker side: a `PipelineLogger` whose lines carry `bindings` (e.g. `{ actor: 'source:px4/downloader' }`). */
export function channelLogger(dataDir: string, bindings: object): PipelineLogger & { close(): void } {
  const channel = new BroadcastChannel(channelName(dataDir));
  channel.unref();
  const send = (level: Level) => (obj: object, msg?: string) => {
    const line: LogLine = { level, obj: { ...bindings, ...obj }, msg };
    try {
      channel.postMessage(line);
    } catch {
      // Something in `obj` cannot cross threads (a function): send what JSON keeps of it.
      channel.postMessage({ ...line, obj: JSON.parse(JSON.stringify(line.obj)) as object });
    }
  };
  return { debug: send('debug'), info: send('info'), warn: send('warn'), error: send('error'), close: () => channel.close() };
}

/** The main thread's side: writes every worker's lines into `log`. Returns the stop function. */
export function collectWorkerLogs(dataDir: string, log: PipelineLogger): () => void {
  const channel = new BroadcastChannel(channelName(dataDir));
  channel.unref();
  channel.onmessage = (event: unknown) => {
    const line = (event as { data?: Partial<LogLine> }).data;
    if (!line || !LEVELS.includes(line.level as Level) || typeof line.obj !== 'object' || line.obj === null) return;
    log[line.level as Level](line.obj, line.msg);
  };
  return () => channel.close();
}
