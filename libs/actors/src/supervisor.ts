import { assertNever, backoffDelay, type Clock, fromErrorData, sleep, systemClock, withTimeout } from '@filesync/core';
import type { ActorLogLine } from './actor-log';
import { ActorRef, startActor } from './actor-ref';
import { connectActors } from './channels';
import { ACTOR_DEFAULTS } from './defaults';
import { type NormalizedChild, type NormalizedSupervisor, normalizeSupervisor, type StartContext, type SupervisorSpec } from './child-spec';
import { describeExit, errorToData, type ExitReason, isCleanExit } from './exit-reason';
import type { Message } from './messages';
import type { ShutdownTimeout, Supervised } from './supervised';
import type {
  ChildSnapshot,
  ChildState,
  SupervisionEvent,
  SupervisionListener,
  SupervisorSnapshot,
  SupervisorState,
} from './supervision-events';
import { RestartWindow } from './restart-window';
import type { AnyActorDefinition, MessagesOf, RepliesOf } from './define-actor';

/** Timings applied to every actor of the tree unless its spec sets its own (tests shorten them). */
export interface ActorTimings {
  readonly heartbeatIntervalMs?: number;
  readonly heartbeatTimeoutMs?: number;
  readonly hangTimeoutMs?: number;
  readonly askTimeoutMs?: number;
  readonly startTimeoutMs?: number;
}

export interface SupervisorOptions {
  /** Restart window, backoff sleeps, shutdown timeouts, and the actors' parent-side timers. */
  readonly clock?: Clock;
  /** Jitter source for the backoff (tests pin it). */
  readonly random?: () => number;
  readonly actorDefaults?: ActorTimings;
  /** Subscribed before the first child starts, so it sees the start events too. */
  readonly onEvent?: SupervisionListener;
  /** The log lines of every actor of the tree (`logToParent`), nested supervisors' included. */
  readonly onActorLog?: (line: ActorLogLine) => void;
  /** @internal set when a supervisor starts a nested one. */
  readonly parentPath?: readonly string[];
}

interface Slot {
  readonly spec: NormalizedChild;
  state: ChildState;
  instance: Supervised | undefined;
  startedAt: number | undefined;
  restarts: number;
  lastExit: ExitReason | undefined;
}

// `any` widens the reply maps so one slot type holds actors of every protocol.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyActorRef = ActorRef<Message, any>;

/**
 * Starts a supervision tree from its spec (validated whole first) and resolves once every child
 * is up, in order. If one fails, those already started are stopped, right to left, and the
 * error (class kept) rejects the call.
 */
export async function startSupervisor(spec: SupervisorSpec, options: SupervisorOptions = {}): Promise<Supervisor> {
  return startNormalized(normalizeSupervisor(spec), options);
}

async function startNormalized(spec: NormalizedSupervisor, options: SupervisorOptions): Promise<Supervisor> {
  const sup = new Supervisor(spec, options);
  if (options.onEvent) sup.onEvent(options.onEvent);
  await sup.startChildren();
  return sup;
}

/**
 * An OTP supervisor running in the thread that created it. It watches its children, restarts
 * them per strategy with backoff, gives up past its restart intensity (its parent then sees it
 * crash with `gave-up`), and stops them right to left.
 */
export class Supervisor implements Supervised {
  readonly kind = 'supervisor' as const;
  readonly id: string;
  readonly path: readonly string[];
  readonly exited: Promise<ExitReason>;

  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly window: RestartWindow;
  private readonly listeners = new Set<SupervisionListener>();
  private readonly abort = new AbortController();
  private slots: Slot[];
  private state: SupervisorState = 'starting';
  private queue: Promise<void> = Promise.resolve();
  private brutal = false;
  /** Children asked to stop and not yet gone: what a shutdown timeout must kill. */
  private readonly beingStopped = new Set<Supervised>();
  private finish: (reason: ExitReason) => void = () => undefined;
  /** Exits and stop requests that arrive while children are still starting wait for this (OTP: after init). */
  private readonly startupSettled: Promise<void>;
  private settleStartup: () => void = () => undefined;

  /** @internal use `startSupervisor`. */
  constructor(
    private readonly spec: NormalizedSupervisor,
    private readonly options: SupervisorOptions,
  ) {
    this.id = spec.id;
    this.path = [...(options.parentPath ?? []), spec.id];
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.window = new RestartWindow(spec.intensity, spec.periodMs);
    this.slots = spec.children.map((c) => ({
      spec: c,
      state: 'stopped',
      instance: undefined,
      startedAt: undefined,
      restarts: 0,
      lastExit: undefined,
    }));
    this.exited = new Promise((resolve) => (this.finish = resolve));
    this.startupSettled = new Promise((resolve) => (this.settleStartup = resolve));
  }

  /** Subscribes to this supervisor's events and those of every supervisor under it. */
  onEvent(listener: SupervisionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The running instance of child `id` (it changes on every restart). */
  child(id: string): Supervised | undefined {
    return this.slots.find((s) => s.spec.id === id)?.instance;
  }

  /** The running actor `id`, typed by its definition; undefined if absent, not running, or not an actor. */
  actor<D extends AnyActorDefinition>(id: string): ActorRef<MessagesOf<D>, RepliesOf<D>> | undefined {
    const instance = this.child(id);
    return instance instanceof ActorRef ? (instance as ActorRef<MessagesOf<D>, RepliesOf<D>>) : undefined;
  }

  snapshot(): SupervisorSnapshot {
    const now = this.clock.monotonic();
    return {
      id: this.id,
      path: this.path,
      strategy: this.spec.strategy,
      state: this.state,
      intensity: this.spec.intensity,
      periodMs: this.spec.periodMs,
      restartsInWindow: this.window.count(now),
      children: this.slots.map((s): ChildSnapshot => {
        const running = s.state === 'running' && s.instance !== undefined;
        return {
          id: s.spec.id,
          kind: 'supervisor' in s.spec.how || s.instance instanceof Supervisor ? 'supervisor' : 'worker',
          restart: s.spec.restart,
          state: s.state,
          uptimeMs: running && s.startedAt !== undefined ? now - s.startedAt : undefined,
          restarts: s.restarts,
          lastExit: s.lastExit,
          threadId: running && s.instance instanceof ActorRef ? s.instance.threadId : undefined,
          supervisor: running && s.instance instanceof Supervisor ? s.instance.snapshot() : undefined,
        };
      }),
    };
  }

  /** Stops every child right to left, each within its own `shutdown`. */
  stop(): Promise<ExitReason> {
    return this.shutdown('infinity');
  }

  shutdown(timeout: ShutdownTimeout): Promise<ExitReason> {
    if (this.state !== 'stopped' && this.state !== 'gave-up' && this.state !== 'stopping') {
      this.state = 'stopping';
      this.abort.abort();
      this.enqueue(async () => {
        await this.startupSettled;
        await this.stopAll();
        this.state = 'stopped';
        this.emit({ type: 'sup.stopped' });
        this.finish({ kind: 'shutdown', forced: this.brutal });
      });
    }
    if (timeout === 'infinity') return this.exited;
    // Past the timeout, whatever is still up is killed without asking.
    const timer = this.clock.setTimeout(() => this.killAll(), timeout);
    return this.exited.finally(() => this.clock.clearTimeout(timer));
  }

  /** @internal */
  async startChildren(): Promise<void> {
    try {
      await this.startInOrder();
    } finally {
      this.settleStartup();
    }
  }

  private async startInOrder(): Promise<void> {
    for (const slot of this.slots) {
      if (this.state !== 'starting') return; // stopped while starting: shutdown takes it from here
      try {
        await this.startSlot(slot, undefined);
      } catch (err) {
        this.state = 'stopping';
        await this.stopAll();
        this.state = 'stopped';
        this.finish({ kind: 'start-failed', error: errorToData(err) });
        const data = errorToData(err);
        throw fromErrorData({ ...data, message: `supervisor ${this.path.join('/')}: child ${slot.spec.id} failed to start: ${data.message}` });
      }
    }
    if (this.state === 'starting') this.state = 'running';
  }

  private enqueue(task: () => Promise<void>): void {
    // Supervision decisions run one at a time, like an OTP supervisor's mailbox.
    this.queue = this.queue.then(task).catch((err: unknown) => reportUnhandled(err));
  }

  private emit(event: DistributiveOmit<SupervisionEvent, 'path' | 'at'>): void {
    this.forward({ ...event, path: this.path, at: this.clock.now() } as SupervisionEvent);
  }

  private forward(event: SupervisionEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        reportUnhandled(err);
      }
    }
  }

  private context(slot: Slot): StartContext {
    return {
      id: slot.spec.id,
      path: this.path,
      clock: this.clock,
      sibling: (id) => this.child(id),
    };
  }

  private async launch(slot: Slot): Promise<Supervised> {
    const { how } = slot.spec;
    if ('actor' in how) {
      const defaults = this.options.actorDefaults ?? {};
      return startActor<AnyActorDefinition>({
        ...defaults,
        ...how.actor,
        id: slot.spec.id,
        clock: this.clock,
        ...(this.options.onActorLog ? { onLog: this.options.onActorLog } : {}),
      });
    }
    if ('supervisor' in how) {
      // Subscribed before it starts, so its own start events reach this tree's listeners.
      return startNormalized(how.supervisor, { ...this.options, parentPath: this.path, onEvent: (e) => this.forward(e) });
    }
    return how.start(this.context(slot));
  }

  private async startSlot(slot: Slot, restart: { delayMs: number } | undefined): Promise<void> {
    slot.state = restart ? 'restarting' : 'starting';
    const instance = await this.launch(slot);
    slot.instance = instance;
    slot.state = 'running';
    slot.startedAt = this.clock.monotonic();
    // Channels first, so whoever reacts to the event below finds them in place.
    await this.wirePeers(slot);
    if (restart) {
      slot.restarts += 1;
      this.emit({ type: 'sup.child-restarted', child: slot.spec.id, restarts: slot.restarts, delayMs: restart.delayMs });
    } else {
      this.emit({ type: 'sup.child-started', child: slot.spec.id });
    }
    void instance.exited.then((reason) => this.enqueue(() => this.onChildExit(slot, instance, reason)));
  }

  /** Hands out this child's channels, and re-hands those of siblings that point at it. */
  private async wirePeers(slot: Slot): Promise<void> {
    const pairs: Array<[client: Slot, server: Slot, name: string]> = [];
    for (const other of this.slots) {
      const peers = 'actor' in other.spec.how ? (other.spec.how.actor.peers ?? {}) : {};
      for (const [name, serverId] of Object.entries(peers)) {
        const server = this.slots.find((s) => s.spec.id === serverId);
        if (server && (other === slot || server === slot)) pairs.push([other, server, name]);
      }
    }
    const askMs = this.options.actorDefaults?.askTimeoutMs ?? ACTOR_DEFAULTS.askTimeoutMs;
    for (const [client, server, name] of pairs) {
      if (client.instance instanceof ActorRef && server.instance instanceof ActorRef) {
        // A side that died or hangs meanwhile is handled by its own exit or heartbeat; the
        // channel is then just not made, and the supervisor must not wait on it forever.
        const connected = connectActors(client.instance as AnyActorRef, server.instance as AnyActorRef, name);
        await withTimeout(connected, askMs, `no answer within ${askMs} ms`, this.clock).catch(() => undefined);
      }
    }
  }

  private async onChildExit(slot: Slot, instance: Supervised, reason: ExitReason): Promise<void> {
    await this.startupSettled;
    // An exit we caused (stop, group restart) or of an instance already replaced is expected.
    if (this.state !== 'running' || slot.instance !== instance) return;
    slot.instance = undefined;
    slot.startedAt = undefined;
    slot.lastExit = reason;
    const crashed = !isCleanExit(reason);
    this.emit(crashed ? { type: 'sup.child-crashed', child: slot.spec.id, reason } : { type: 'sup.child-stopped', child: slot.spec.id, reason });
    const restart = slot.spec.restart === 'permanent' || (slot.spec.restart === 'transient' && crashed);
    if (!restart) {
      slot.state = 'stopped';
      // OTP forgets a temporary child once it ends.
      if (slot.spec.restart === 'temporary') this.slots = this.slots.filter((s) => s !== slot);
      return;
    }
    await this.restartFrom(slot, reason);
  }

  private group(trigger: Slot): Slot[] {
    switch (this.spec.strategy) {
      case 'one_for_one':
        return [trigger];
      case 'one_for_all':
        return this.slots.filter((s) => s === trigger || s.state !== 'stopped');
      case 'rest_for_one': {
        const from = this.slots.indexOf(trigger);
        return this.slots.filter((s, i) => s === trigger || (i > from && s.state !== 'stopped'));
      }
      default:
        return assertNever(this.spec.strategy);
    }
  }

  private async restartFrom(first: Slot, firstReason: ExitReason): Promise<void> {
    let trigger = first;
    let reason = firstReason;
    for (;;) {
      if (!this.window.add(this.clock.monotonic())) return this.giveUp(reason);
      const group = this.group(trigger);
      for (const s of [...group].reverse()) {
        if (s !== trigger && s.instance) await this.stopSlot(s);
      }
      // Temporary siblings stopped for the group restart are not restarted (OTP deletes them).
      this.slots = this.slots.filter((s) => s === trigger || !group.includes(s) || s.spec.restart !== 'temporary');
      const members = group.filter((s) => this.slots.includes(s));
      for (const s of members) s.state = 'restarting';
      const delayMs = backoffDelay(this.spec.backoff, this.window.count(this.clock.monotonic()) - 1, this.random);
      try {
        await sleep(delayMs, this.clock, this.abort.signal);
      } catch {
        return; // stopping
      }
      if (this.state !== 'running') return;
      let failed: Slot | undefined;
      for (const s of members) {
        try {
          await this.startSlot(s, { delayMs });
        } catch (err) {
          failed = s;
          reason = { kind: 'start-failed', error: errorToData(err) };
          s.lastExit = reason;
          this.emit({ type: 'sup.child-crashed', child: s.spec.id, reason });
          break;
        }
        if (this.state !== 'running') return;
      }
      if (!failed) return;
      trigger = failed;
    }
  }

  private async stopSlot(slot: Slot): Promise<void> {
    const instance = slot.instance;
    if (!instance) {
      slot.state = 'stopped';
      return;
    }
    slot.state = 'stopping';
    slot.instance = undefined;
    slot.startedAt = undefined;
    this.beingStopped.add(instance);
    const reason = await instance.shutdown(this.brutal ? 0 : slot.spec.shutdown);
    this.beingStopped.delete(instance);
    slot.state = 'stopped';
    slot.lastExit = reason;
    this.emit({ type: 'sup.child-stopped', child: slot.spec.id, reason });
  }

  private async stopAll(): Promise<void> {
    for (const slot of [...this.slots].reverse()) await this.stopSlot(slot);
  }

  /** Shutdown timeout passed: kill what is still up, without asking. */
  private killAll(): void {
    this.brutal = true;
    for (const instance of this.beingStopped) void instance.shutdown(0);
    for (const slot of this.slots) void slot.instance?.shutdown(0);
  }

  private async giveUp(last: ExitReason): Promise<void> {
    this.state = 'gave-up';
    this.abort.abort();
    const restarts = this.window.count(this.clock.monotonic());
    await this.stopAll();
    this.emit({ type: 'sup.gave-up', restarts, periodMs: this.spec.periodMs, reason: last });
    const reason: ExitReason = { kind: 'gave-up', supervisor: this.path.join('/'), restarts, periodMs: this.spec.periodMs, last };
    if (this.options.parentPath === undefined && this.listeners.size === 0) {
      // A root that gives up with nobody listening must not go unnoticed.
      process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: describeExit(reason), reason })}\n`);
    }
    this.finish(reason);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A bug in a listener or in the supervisor itself: rethrown on a fresh macrotask so it is seen. */
function reportUnhandled(err: unknown): void {
  setTimeout(() => {
    throw err;
  }, 0);
}
