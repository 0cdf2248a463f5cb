import { MessageChannel, type MessagePort, type ResourceLimits, Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { type Clock, fromErrorData, type ErrorData, systemClock, toErrorData, TransientError } from '@filesync/core';
import { transfer } from 'comlink';
import type { AnyActorDefinition, ArgsOf, MessagesOf, RepliesOf } from './define-actor';
import { type ActorLogLine, isActorLogLine } from './actor-log';
import { ACTOR_DEFAULTS } from './defaults';
import { describeExit, errorToData, type ExitReason } from './exit-reason';
import { HeartbeatWatchdog } from './heartbeat-watchdog';
import { guardMessage, type Message, type Replies } from './messages';
import { type ActorRefLike, type AskOptions, PortRemote } from './remote';
import type { ActorControlApi } from './reply';
import type { ShutdownTimeout, Supervised } from './supervised';
import type { ActorSystemMessage, ActorWorkerData } from './worker-data';
import { trackWorker } from './worker-registry';

const ENTRY_URL = new URL('./worker-entry.mjs', import.meta.url);

export interface StartActorOptions<A> {
  /** Child id such as `source:px4`; names the thread and appears in every error. */
  readonly id: string;
  /** The actor module (`export default defineActor(...)`): a file URL or an absolute path. */
  readonly module: URL | string;
  /** Passed (structured-cloned) to the actor's `init`. */
  readonly args?: A;
  /** Timers of the parent side: ask timeouts, the heartbeat watchdog, the start timeout, shutdown. */
  readonly clock?: Clock;
  readonly heartbeatIntervalMs?: number;
  readonly heartbeatTimeoutMs?: number;
  /** A message handled for longer than this means the actor is hung (see `ACTOR_DEFAULTS`). */
  readonly hangTimeoutMs?: number;
  readonly askTimeoutMs?: number;
  readonly startTimeoutMs?: number;
  readonly resourceLimits?: ResourceLimits;
  /** Where the actor's log lines (`logToParent`) go; without it they are dropped. */
  readonly onLog?: (line: ActorLogLine) => void;
}

/**
 * Starts an actor in its own worker thread and resolves once its `init` has run, or rejects with
 * the error that stopped it (class and code kept). The returned ref is the parent's handle.
 */
export async function startActor<D extends AnyActorDefinition>(
  options: StartActorOptions<ArgsOf<D>>,
): Promise<ActorRef<MessagesOf<D>, RepliesOf<D>>> {
  const ref = new ActorRef<MessagesOf<D>, RepliesOf<D>>(options);
  await ref.ready;
  return ref;
}

/** The parent's handle on a running actor thread. */
export class ActorRef<M extends Message, R extends Replies<M>> implements ActorRefLike<M, R>, Supervised {
  readonly kind = 'worker' as const;
  readonly id: string;
  readonly threadId: number;
  readonly exited: Promise<ExitReason>;
  /** @internal resolved by `startActor` before the ref is handed out. */
  readonly ready: Promise<void>;

  private readonly worker: Worker;
  private readonly remote: PortRemote<ActorControlApi>;
  private readonly clock: Clock;
  private watchdog: HeartbeatWatchdog | undefined;
  private error: ErrorData | undefined;
  private stopRequested = false;
  private forced = false;
  private silentMs: number | undefined;
  private hung: ExitReason | undefined;
  private exitReason: ExitReason | undefined;

  constructor(options: StartActorOptions<unknown>) {
    this.id = options.id;
    this.clock = options.clock ?? systemClock;
    const askTimeoutMs = options.askTimeoutMs ?? ACTOR_DEFAULTS.askTimeoutMs;
    const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? ACTOR_DEFAULTS.heartbeatTimeoutMs;
    const hangTimeoutMs = options.hangTimeoutMs ?? ACTOR_DEFAULTS.hangTimeoutMs;
    const startTimeoutMs = options.startTimeoutMs ?? ACTOR_DEFAULTS.startTimeoutMs;
    const { port1, port2 } = new MessageChannel();
    const workerData: ActorWorkerData = {
      id: options.id,
      moduleUrl: (typeof options.module === 'string' ? pathToFileURL(options.module) : options.module).href,
      args: options.args,
      rpcPort: port2,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? ACTOR_DEFAULTS.heartbeatIntervalMs,
      askTimeoutMs,
    };
    // execArgv is explicit: flags of the parent (vitest's, or an `--import tsx` that Node 20 would
    // not apply to the worker anyway) must not leak in — but `--cpu-prof*` does, so that
    // `node --cpu-prof dist/cli.js serve` profiles every actor (a file per thread). Built, ENTRY_URL
    // is dist/worker-entry.js.
    this.worker = new Worker(ENTRY_URL, {
      workerData,
      transferList: [port2],
      execArgv: process.execArgv.filter((a) => a.startsWith('--cpu-prof')),
      name: `actor:${options.id}`,
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    });
    trackWorker(this.worker);
    this.threadId = this.worker.threadId;
    this.remote = new PortRemote<ActorControlApi>(port1, { name: options.id, clock: this.clock, askTimeoutMs });

    let onReady: () => void = () => undefined;
    let onStartFailed: (err: unknown) => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      onReady = resolve;
      onStartFailed = reject;
    });
    let started = false;
    const startTimer = this.clock.setTimeout(() => {
      onStartFailed(new TransientError('timeout', `actor ${this.id} did not start within ${startTimeoutMs} ms`));
      this.kill();
    }, startTimeoutMs);

    this.worker.on('message', (raw: unknown) => {
      let msg: ActorSystemMessage;
      try {
        msg = guardMessage<ActorSystemMessage>(raw, ['actor.ready', 'actor.heartbeat', 'actor.log']);
      } catch (err) {
        // Only the bootstrap posts here; anything else is a broken actor, so it crashes with the
        // guard's error (which shows the message) instead of throwing in the parent's thread.
        this.error ??= toErrorData(err);
        void this.worker.terminate();
        return;
      }
      if (msg.type === 'actor.log') {
        // A malformed line is dropped, not a crash: a log line is not worth a restart.
        if (isActorLogLine(msg.line)) options.onLog?.(msg.line);
      } else if (msg.type === 'actor.heartbeat') {
        this.watchdog?.beat();
        if (msg.busyMs !== undefined && msg.busyMs >= hangTimeoutMs && this.hung === undefined) {
          this.hung = { kind: 'hung', busyMs: msg.busyMs, messageType: msg.busyWith ?? 'unknown' };
          void this.worker.terminate();
        }
      } else if (!started) {
        started = true;
        this.clock.clearTimeout(startTimer);
        this.watchdog = new HeartbeatWatchdog(this.clock, heartbeatTimeoutMs, (silentMs) => {
          this.silentMs = silentMs;
          void this.worker.terminate();
        });
        onReady();
      }
    });
    this.worker.on('error', (err: unknown) => {
      this.error = errorToData(err);
    });
    this.exited = new Promise<ExitReason>((resolve) => {
      this.worker.once('exit', (code: number) => {
        this.clock.clearTimeout(startTimer);
        this.watchdog?.stop();
        const reason = this.reasonFor(code);
        this.exitReason = reason;
        this.remote.close(describeExit(reason));
        if (!started) {
          const error = this.error ?? { kind: 'permanent', code: 'internal', message: describeExit(reason) };
          onStartFailed(fromErrorData({ ...error, message: `actor ${this.id} failed to start: ${error.message}` }));
        }
        resolve(reason);
      });
    });
    // A failed start is reported through startActor's rejection; don't let it surface twice.
    this.ready.catch(() => undefined);
  }

  get alive(): boolean {
    return this.exitReason === undefined;
  }

  tell(msg: M): void {
    this.remote.tell(msg);
  }

  ask<K extends M>(msg: K, options?: AskOptions): Promise<R[K['type']]> {
    return this.remote.ask(msg, options) as Promise<R[K['type']]>;
  }

  async shutdown(timeout: ShutdownTimeout): Promise<ExitReason> {
    if (this.exitReason) return this.exitReason;
    this.stopRequested = true;
    if (timeout !== 'infinity' && timeout <= 0) return this.kill();
    (this.remote.proxy.stop() as Promise<void>).catch(() => undefined);
    if (timeout === 'infinity') return this.exited;
    const timer = this.clock.setTimeout(() => void this.kill(), timeout);
    const reason = await this.exited;
    this.clock.clearTimeout(timer);
    return reason;
  }

  /** Terminates the thread at once (a stop without asking). */
  kill(): Promise<ExitReason> {
    if (!this.exitReason) {
      this.stopRequested = true;
      this.forced = true;
      void this.worker.terminate();
    }
    return this.exited;
  }

  /** @internal Serve this actor's handlers on the server end of a channel. */
  servePort(port: MessagePort): Promise<void> {
    return this.remote.proxy.serve(transfer(port, [port])) as Promise<void>;
  }

  /** @internal Hand this actor the client end of a channel under `name`. */
  connectPort(name: string, port: MessagePort): Promise<void> {
    return this.remote.proxy.connect(name, transfer(port, [port])) as Promise<void>;
  }

  private reasonFor(code: number): ExitReason {
    if (this.silentMs !== undefined) return { kind: 'heartbeat-missed', silentMs: this.silentMs };
    if (this.hung) return this.hung;
    if (this.stopRequested) return { kind: 'shutdown', forced: this.forced };
    if (this.error) return { kind: 'error', error: this.error };
    return code === 0 ? { kind: 'normal' } : { kind: 'exit-code', code };
  }
}
