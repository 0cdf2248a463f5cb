import { parentPort } from 'node:worker_threads';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One log line of an actor thread, as its tree's `onActorLog` receives it. */
export interface ActorLogLine {
  readonly level: LogLevel;
  readonly obj: object;
  readonly msg: string | undefined;
}

export function isActorLogLine(value: unknown): value is ActorLogLine {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<ActorLogLine>;
  return (LOG_LEVELS as readonly unknown[]).includes(v.level) && typeof v.obj === 'object' && v.obj !== null && (v.msg === undefined || typeof v.msg === 'string');
}

/**
 * Sends a log line from an actor thread to its parent, whose supervisor hands it to `onActorLog`.
 * One message to one thread: a `BroadcastChannel` that every worker holds open delivered each line to
 * every thread of the agent (16 in the demo), each of which woke to take it off its port. Outside a
 * worker thread the line goes nowhere.
 */
export function logToParent(line: ActorLogLine): void {
  if (parentPort === null) return;
  try {
    parentPort.postMessage({ type: 'actor.log', line });
  } catch {
    // Something in `obj` cannot cross threads (a function): send what JSON keeps of it.
    parentPort.postMessage({ type: 'actor.log', line: { ...line, obj: JSON.parse(JSON.stringify(line.obj)) as object } });
  }
}
