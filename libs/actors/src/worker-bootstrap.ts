import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { PermanentError, systemClock } from '@filesync/core';
import { expose } from 'comlink';
import {
  type ActorContext,
  type AnyActorDefinition,
  type Channel,
  deferredPromise,
  isActorDefinition,
  type MessagesOf,
  type RepliesOf,
} from './define-actor';
import { errorToData } from './exit-reason';
import { Mailbox } from './mailbox';
import { isMessage, type Message, showMessage } from './messages';
import { type ActorRefLike, type AskOptions, deadActorError, portEndpoint, PortRemote } from './remote';
import type { ActorControlApi, Reply } from './reply';
import { type ActorSystemMessage, parseWorkerData } from './worker-data';

/**
 * Runs inside each actor thread: loads the actor module, runs `init`, serves its handlers through
 * comlink, and posts heartbeats. Kept small on purpose: everything else lives in the parent.
 */

const data = parseWorkerData(workerData);
const port = parentPort;
if (port === null) throw new PermanentError('bad-request', 'worker-bootstrap must run in a worker thread');
const post = (msg: ActorSystemMessage): void => port.postMessage(msg);

const loaded = (await import(data.moduleUrl)) as { default?: unknown };
if (!isActorDefinition(loaded.default)) {
  throw new PermanentError('bad-request', `${data.moduleUrl} must export default defineActor(...)`);
}
const definition: AnyActorDefinition = loaded.default;

interface Envelope {
  readonly msg: unknown;
  /** Absent for `tell`: errors then crash the actor. */
  readonly reply?: (reply: Reply) => void;
}

const peers = new Map<string, PortRemote>();
const peerWaiters = new Map<string, Array<() => void>>();

function whenConnected(name: string, timeoutMs: number): Promise<PortRemote> {
  const existing = peers.get(name);
  if (existing) return Promise.resolve(existing);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(deadActorError(name, `no channel "${name}" was handed out within ${timeoutMs} ms`)), timeoutMs);
    const list = peerWaiters.get(name) ?? [];
    list.push(() => {
      clearTimeout(timer);
      const remote = peers.get(name);
      if (remote) resolve(remote);
    });
    peerWaiters.set(name, list);
  });
}

function peerRef(name: string): ActorRefLike<Message, Record<string, unknown>> {
  return {
    tell(msg) {
      const remote = peers.get(name);
      if (remote) remote.tell(msg);
      else void whenConnected(name, data.askTimeoutMs).then((r) => r.tell(msg), () => undefined);
    },
    async ask(msg, options?: AskOptions) {
      // The wait for the channel is bounded even when the reply's is not (`timeoutMs: Infinity`).
      const timeoutMs = options?.timeoutMs ?? data.askTimeoutMs;
      const remote = await whenConnected(name, Number.isFinite(timeoutMs) ? timeoutMs : data.askTimeoutMs);
      return remote.ask(msg, options);
    },
  };
}

const ctx: ActorContext = {
  id: data.id,
  // The message types are the caller's claim about its peer; the peer checks them at its boundary.
  peer: <D extends AnyActorDefinition>(channel: Channel<D> | string) =>
    peerRef(typeof channel === 'string' ? channel : channel.name) as unknown as ActorRefLike<MessagesOf<D>, RepliesOf<D>>,
  exit: () => process.exit(0),
};

function checkMessage(value: unknown): Message {
  if (!isMessage(value) || !Object.hasOwn(definition.handlers, value.type)) {
    throw new PermanentError('bad-request', `actor ${data.id} got unexpected message ${showMessage(value)}`);
  }
  return definition.validate ? definition.validate(value) : value;
}

function failed(err: unknown, reply: Envelope['reply']): void {
  if (reply) reply({ ok: false, error: errorToData(err) });
  // Nobody waits on a tell: rethrow outside the promise chain so the thread dies with it.
  else
    queueMicrotask(() => {
      throw err;
    });
}

const mailbox = new Mailbox<Envelope>(async ({ msg, reply }) => {
  try {
    const checked = checkMessage(msg);
    const handler = definition.handlers[checked.type] as (m: Message, c: ActorContext) => unknown;
    const value = await handler(checked, ctx);
    const later = deferredPromise(value);
    if (later === undefined) return reply?.({ ok: true, value });
    // The mailbox goes on now; the reply goes when the deferred work settles.
    later.then((v) => reply?.({ ok: true, value: v }), (err: unknown) => failed(err, reply));
  } catch (err) {
    failed(err, reply);
  }
});

const api: ActorControlApi = {
  tell(msg) {
    mailbox.push({ msg });
  },
  ask(msg) {
    return new Promise<Reply>((resolve) => mailbox.push({ msg, reply: resolve }));
  },
  async stop() {
    try {
      await definition.stop?.(ctx);
    } finally {
      process.exit(0);
    }
  },
  serve(serverPort: MessagePort) {
    expose(api, portEndpoint(serverPort));
  },
  connect(name: string, clientPort: MessagePort) {
    peers.get(name)?.close('replaced by a new channel');
    peers.set(name, new PortRemote(clientPort, { name, clock: systemClock, askTimeoutMs: data.askTimeoutMs }));
    // The port must not keep the thread alive on its own; the parent's rpc port does that.
    clientPort.unref();
    const waiters = peerWaiters.get(name) ?? [];
    peerWaiters.delete(name);
    for (const wake of waiters) wake();
  },
};

await definition.init?.(data.args, ctx);
expose(api, portEndpoint(data.rpcPort));
setInterval(() => {
  const busy = mailbox.busy();
  if (!busy) return post({ type: 'actor.heartbeat' });
  const busyWith = isMessage(busy.item.msg) ? busy.item.msg.type : 'unknown';
  post({ type: 'actor.heartbeat', busyMs: performance.now() - busy.since, busyWith });
}, data.heartbeatIntervalMs).unref();
post({ type: 'actor.ready' });
