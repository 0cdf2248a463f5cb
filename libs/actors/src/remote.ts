import type { MessagePort, TransferListItem } from 'node:worker_threads';
import { type Clock, fromErrorData, TransientError } from '@filesync/core';
import { type Remote as ComlinkRemote, transfer, wrap } from 'comlink';
import nodeEndpoint from 'comlink/dist/umd/node-adapter';
import { errorToData } from './exit-reason';
import type { Message, Replies } from './messages';
import type { ActorPortApi, Reply } from './reply';

export interface AskOptions {
  /**
   * Overrides the ref's default ask timeout. `Infinity`: no timeout, for a reply deferred until
   * something with bounds of its own ends (a device call); the actor's death still ends the wait.
   */
  readonly timeoutMs?: number;
  /** Parts of the message moved to the actor rather than copied: a `MessagePort` it is to stream on. */
  readonly transfer?: readonly TransferListItem[];
}

/** The sending half of an actor, the same whether held by its parent or by a peer actor. */
export interface ActorRefLike<M extends Message, R extends Replies<M>> {
  /** Fire and forget. A message sent to a dead actor is dropped. */
  tell(msg: M): void;
  /**
   * Request/reply. Rejects with the handler's error rebuilt as its class (`TransientError`/
   * `PermanentError` with its code), with `TransientError('timeout')` after the timeout, and
   * with `TransientError('disconnected', detail.deadActor)` when the actor is or goes down.
   */
  ask<K extends M>(msg: K, options?: AskOptions): Promise<R[K['type']]>;
}

export function deadActorError(actor: string, why: string): TransientError {
  return new TransientError('disconnected', `actor ${actor} is not running (${why})`, { detail: { deadActor: actor } });
}

/** `nodeEndpoint` is typed for DOM listeners; a worker_threads MessagePort has the same `on`/`off`. */
export function portEndpoint(port: MessagePort): Parameters<typeof wrap>[0] {
  return nodeEndpoint(port as unknown as Parameters<typeof nodeEndpoint>[0]);
}

interface Pending {
  readonly reject: (err: unknown) => void;
}

/**
 * Tell/ask over one MessagePort through comlink, with a timeout on the injected clock and
 * rejection of everything pending when the other end goes away (its port closes).
 */
export class PortRemote<Api extends ActorPortApi = ActorPortApi> {
  readonly proxy: ComlinkRemote<Api>;
  private deadWhy: string | undefined;
  private readonly pending = new Set<Pending>();

  constructor(
    private readonly port: MessagePort,
    private readonly options: { readonly name: string; readonly clock: Clock; readonly askTimeoutMs: number },
  ) {
    this.proxy = wrap<Api>(portEndpoint(port));
    port.once('close', () => this.markDead('its port closed'));
  }

  get alive(): boolean {
    return this.deadWhy === undefined;
  }

  tell(msg: Message): void {
    if (this.deadWhy !== undefined) return;
    // comlink resolves when the handler was queued; a failure here means the port closed.
    void (this.proxy.tell(msg) as Promise<void>).catch(() => undefined);
  }

  ask(msg: Message, options?: AskOptions): Promise<unknown> {
    if (this.deadWhy !== undefined) return Promise.reject(deadActorError(this.options.name, this.deadWhy));
    const timeoutMs = options?.timeoutMs ?? this.options.askTimeoutMs;
    return new Promise((resolve, reject) => {
      const entry: Pending = { reject: (err) => settle(() => reject(err)) };
      const { clock } = this.options;
      let done = false;
      const settle = (fn: () => void): void => {
        if (done) return;
        done = true;
        if (timer !== undefined) clock.clearTimeout(timer);
        this.pending.delete(entry);
        fn();
      };
      const timer = Number.isFinite(timeoutMs)
        ? clock.setTimeout(() => {
            settle(() =>
              reject(
                new TransientError('timeout', `ask ${msg.type} to ${this.options.name} got no reply within ${timeoutMs} ms`, {
                  detail: { actor: this.options.name, type: msg.type, timeoutMs },
                }),
              ),
            );
          }, timeoutMs)
        : undefined;
      this.pending.add(entry);
      const sent = options?.transfer ? transfer(msg, [...options.transfer] as Parameters<typeof transfer>[1]) : msg;
      (this.proxy.ask(sent) as Promise<Reply>).then(
        (reply) => settle(() => (reply.ok ? resolve(reply.value) : reject(fromErrorData(reply.error)))),
        (err: unknown) => settle(() => reject(fromErrorData(errorToData(err)))),
      );
    });
  }

  /** Rejects pending and future asks; called when the worker exits or the port closes. */
  markDead(why: string): void {
    if (this.deadWhy !== undefined) return;
    this.deadWhy = why;
    const err = deadActorError(this.options.name, why);
    for (const p of [...this.pending]) p.reject(err);
  }

  close(why = 'closed'): void {
    this.markDead(why);
    this.port.close();
  }
}
