import type { MessagePort } from 'node:worker_threads';
import { PermanentError } from '@filesync/core';
import type { ActorLogLine } from './actor-log';
import { showMessage } from './messages';

/** What the parent hands a new actor thread in `workerData`. */
export interface ActorWorkerData {
  readonly id: string;
  readonly moduleUrl: string;
  readonly args: unknown;
  /** The parent's comlink port (a dedicated channel, so heartbeats on `parentPort` never mix in). */
  readonly rpcPort: MessagePort;
  readonly heartbeatIntervalMs: number;
  readonly askTimeoutMs: number;
}

/** Messages the actor thread posts on `parentPort`. */
export type ActorSystemMessage =
  | { readonly type: 'actor.ready' }
  /** `busyMs`/`busyWith`: how long the mailbox has been on one message, and its type. */
  | { readonly type: 'actor.heartbeat'; readonly busyMs?: number; readonly busyWith?: string }
  /** A line for the tree's log (`logToParent`). */
  | { readonly type: 'actor.log'; readonly line: ActorLogLine };

export function parseWorkerData(value: unknown): ActorWorkerData {
  const v = value as Partial<ActorWorkerData> | null;
  if (
    typeof v !== 'object' ||
    v === null ||
    typeof v.id !== 'string' ||
    typeof v.moduleUrl !== 'string' ||
    typeof v.heartbeatIntervalMs !== 'number' ||
    typeof v.askTimeoutMs !== 'number' ||
    typeof v.rpcPort !== 'object'
  ) {
    throw new PermanentError('bad-request', `bad actor workerData ${showMessage({ ...v, rpcPort: undefined })}`);
  }
  return v as ActorWorkerData;
}
