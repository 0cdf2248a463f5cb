import { PermanentError } from '@filesync/core';

/**
 * A message is any object with a string `type` (after xstate's events). Types are namespaced
 * `area.kebab-name` so system messages (`actor.*`, `sup.*`) never collide with an actor's own.
 */
export interface Message {
  readonly type: string;
}

/** Reply type of each message type of `M`; tell-only messages reply `void`. */
export type Replies<M extends Message> = { readonly [K in M['type']]: unknown };

/** The member of union `M` whose `type` is `K`. */
export type MessageOf<M extends Message, K extends M['type']> = Extract<M, { readonly type: K }>;

/** Renders a received value for an error message, bounded so a huge payload cannot flood a log. */
export function showMessage(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

export function isMessage(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/**
 * Narrows `value` to one of the `types` or throws a `PermanentError('bad-request')` that shows
 * what was received (after xstate's `assertEvent`).
 */
export function guardMessage<M extends Message>(value: unknown, types: readonly M['type'][]): M {
  if (!isMessage(value) || !(types as readonly string[]).includes(value.type)) {
    throw new PermanentError('bad-request', `unexpected message ${showMessage(value)}; expected one of ${types.join(', ')}`, {
      detail: { expected: [...types] },
    });
  }
  return value as M;
}
