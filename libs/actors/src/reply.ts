import type { MessagePort } from 'node:worker_threads';
import type { ErrorData } from '@filesync/core';

/**
 * What an `ask` returns across the thread boundary. A handler's error travels as `ErrorData`
 * because comlink would rebuild it as a plain `Error` (class and `code` lost).
 */
export type Reply = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: ErrorData };

/** What an actor exposes (through comlink) on every port it serves: its parent's and its channels'. */
export interface ActorPortApi {
  tell(msg: unknown): void;
  ask(msg: unknown): Promise<Reply>;
}

/** The parent's extra control over its own actor, exposed only on the parent's port. */
export interface ActorControlApi extends ActorPortApi {
  /** Runs the actor's `stop` hook, then exits the thread. */
  stop(): Promise<void>;
  /** Serves this actor's handlers on `port` (the server end of a channel). */
  serve(port: MessagePort): void;
  /** Hands the actor the client end of a channel, reachable as `ctx.peer(name)`. */
  connect(name: string, port: MessagePort): void;
}
