import { assertNever, type ErrorData, isErrorData, toErrorData } from '@filesync/core';

/**
 * Why a supervised child ended. `normal` and `shutdown` are clean exits; every other kind is a
 * crash, the cause a supervisor reports and restarts on.
 */
export type ExitReason =
  /** The actor ended by itself with exit code 0 (`process.exit(0)` or `ctx.exit()`). */
  | { readonly kind: 'normal' }
  /** Its parent stopped it; `forced` when it ignored the stop message and was terminated. */
  | { readonly kind: 'shutdown'; readonly forced: boolean }
  /** An uncaught error (a throwing `tell` handler, a throw on a timer, a rejected promise). */
  | { readonly kind: 'error'; readonly error: ErrorData }
  /** `process.exit(code)` with a non-zero code. */
  | { readonly kind: 'exit-code'; readonly code: number }
  /** No heartbeat for `silentMs`: a blocked event loop. The worker was terminated. */
  | { readonly kind: 'heartbeat-missed'; readonly silentMs: number }
  /** One message kept the mailbox busy for `busyMs` (a hung read): the worker was terminated. */
  | { readonly kind: 'hung'; readonly busyMs: number; readonly messageType: string }
  /** The child could not be started (module failed to load, `init` threw, start timeout). */
  | { readonly kind: 'start-failed'; readonly error: ErrorData }
  /** A nested supervisor exceeded its restart intensity: escalation to its parent. */
  | {
      readonly kind: 'gave-up';
      readonly supervisor: string;
      readonly restarts: number;
      readonly periodMs: number;
      readonly last: ExitReason;
    };

export type ExitKind = ExitReason['kind'];

export function isCleanExit(reason: ExitReason): boolean {
  return reason.kind === 'normal' || reason.kind === 'shutdown';
}

/**
 * Errors from a worker's `error` event lose their class but keep their own fields (Node copies
 * them), so a `TransientError` still carries `kind` and `code`; keep only the plain data.
 */
export function errorToData(err: unknown): ErrorData {
  const data = isErrorData(err) ? err : toErrorData(err);
  return data.detail === undefined
    ? { kind: data.kind, code: data.code, message: data.message }
    : { kind: data.kind, code: data.code, message: data.message, detail: data.detail };
}

/** One line for logs and the status page. */
export function describeExit(reason: ExitReason): string {
  switch (reason.kind) {
    case 'normal':
      return 'exited normally';
    case 'shutdown':
      return reason.forced ? 'stopped (terminated after shutdown timeout)' : 'stopped';
    case 'error':
      return `crashed: ${reason.error.kind} ${reason.error.code}: ${reason.error.message}`;
    case 'exit-code':
      return `exited with code ${reason.code}`;
    case 'heartbeat-missed':
      return `no heartbeat for ${Math.round(reason.silentMs)} ms (blocked event loop)`;
    case 'hung':
      return `hung: busy with ${reason.messageType} for ${Math.round(reason.busyMs)} ms`;
    case 'start-failed':
      return `failed to start: ${reason.error.code}: ${reason.error.message}`;
    case 'gave-up':
      return `supervisor ${reason.supervisor} gave up after ${reason.restarts} restarts in ${reason.periodMs} ms (last: ${describeExit(reason.last)})`;
    default:
      return assertNever(reason);
  }
}

