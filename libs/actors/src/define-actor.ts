import type { Message, MessageOf, Replies } from './messages';
import type { ActorRefLike } from './remote';

/** What an actor's handlers can reach besides their message. */
export interface ActorContext {
  /** The id its parent gave it (a child spec id such as `source:px4`). */
  readonly id: string;
  /**
   * The channel its parent handed out under this name (see `connectActors`), typed by the peer's
   * definition. Calls made before the parent has connected it wait for it, within the ask timeout.
   */
  peer<D extends AnyActorDefinition>(channel: Channel<D> | string): ActorRefLike<MessagesOf<D>, RepliesOf<D>>;
  /** Ends the actor normally (exit code 0): a `transient` child is then not restarted. */
  exit(): never;
}

/** `Symbol.for`: one key however many copies of this module a bundle holds. */
const DEFERRED = Symbol.for('filesync.actors.deferred-reply');

/** A reply that comes later, without holding the mailbox (see `deferReply`). */
export interface DeferredReply<R> {
  readonly [DEFERRED]: Promise<R>;
}

/**
 * A handler's answer when the reply waits for something slow (a device call): the mailbox goes on to
 * the next message at once, and the asker gets `promise`'s outcome when it settles (OTP's `noreply`
 * and a later `gen_server:reply`). What is deferred is not the mailbox's, so the hang watch does not
 * see it: it needs a bound of its own.
 */
export function deferReply<R>(promise: Promise<R>): DeferredReply<R> {
  return { [DEFERRED]: promise };
}

/** The promise of a deferred reply, or undefined for a plain value. */
export function deferredPromise(value: unknown): Promise<unknown> | undefined {
  return typeof value === 'object' && value !== null && DEFERRED in value ? (value as DeferredReply<unknown>)[DEFERRED] : undefined;
}

/**
 * A channel's name bound to the type of the actor that serves it, declared once (in a module
 * that imports the server's definition as a type only) and used by both the parent
 * (`connectActors(client, server, channel)`) and the client (`ctx.peer(channel)`).
 */
export interface Channel<D extends AnyActorDefinition> {
  readonly name: string;
  /** Type-only: never set. */
  readonly server?: D;
}

export function defineChannel<D extends AnyActorDefinition>(name: string): Channel<D> {
  return { name };
}

export type Handler<M extends Message, R> = (msg: M, ctx: ActorContext) => R | Promise<R> | DeferredReply<R>;

/** One handler per message type: the compiler checks every member of the union is handled. */
export type Handlers<M extends Message, R extends Replies<M>> = {
  readonly [K in M['type']]: Handler<MessageOf<M, K>, R[K]>;
};

export interface ActorDefinition<M extends Message, R extends Replies<M>, A> {
  readonly kind: 'filesync.actor';
  /** Runs once in the worker before the actor is reported ready; a throw fails the start. */
  readonly init?: (args: A, ctx: ActorContext) => void | Promise<void>;
  /**
   * Checks a message's payload at the thread boundary and returns it typed, or throws showing
   * what it got. Without it only `type` is checked against the handler names.
   */
  readonly validate?: (msg: Message) => M;
  readonly handlers: Handlers<M, R>;
  /** Runs on the parent's stop message, before the thread exits; bounded by the child's `shutdown`. */
  readonly stop?: (ctx: ActorContext) => void | Promise<void>;
}

// `any` here only widens the type parameters so one definition type matches every actor.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyActorDefinition = ActorDefinition<any, any, any>;
export type MessagesOf<D> = D extends ActorDefinition<infer M, infer _R, infer _A> ? M : never;
export type RepliesOf<D> = D extends ActorDefinition<infer _M, infer R, infer _A> ? R : never;
export type ArgsOf<D> = D extends ActorDefinition<infer _M, infer _R, infer A> ? A : never;

/**
 * Declares an actor; its module's default export must be the result. The module is loaded in
 * its own worker thread by `startActor`, which imports it by URL, so it must not do work at import.
 *
 * Messages are handled one at a time, in arrival order (a mailbox): a device actor is the single
 * owner of its link. An `ask` handler's error goes back to the asker; a `tell` handler's error
 * has nobody to go to and crashes the actor, which its supervisor then sees. A handler whose reply
 * waits for something slow returns `deferReply(promise)` and frees the mailbox at once.
 */
export function defineActor<M extends Message, R extends Replies<M>, A = undefined>(
  definition: Omit<ActorDefinition<M, R, A>, 'kind'>,
): ActorDefinition<M, R, A> {
  return { ...definition, kind: 'filesync.actor' };
}

export function isActorDefinition(value: unknown): value is AnyActorDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'filesync.actor' &&
    typeof (value as { handlers?: unknown }).handlers === 'object'
  );
}
