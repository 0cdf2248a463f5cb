import { randomBytes } from 'node:crypto';
import { MessagePort as MessagePortClass, type MessagePort } from 'node:worker_threads';
import { PermanentError, type Source, type SourceFeatures, type Target, type TargetFeatures, TransientError, classifyError } from '@filesync/core';
import type { SourceConfig, TargetConfig } from '@filesync/core/config';
import { cancelByteStream, ChunkPool, type DeferredReply, deferReply, defineActor, guardMessage, receiveByteStream, type SendOutcome, sendByteStream } from '@filesync/actors/actor';
import type { SourceProvider } from '../source-provider';
import { KeptReadAhead, afterKept } from './kept-read-ahead';
import type { DeviceReply, LinkActor, LinkArgs, LinkDescription, LinkMessage, LinkReplies, Listing } from './link-protocol';
import { openSource, openTarget } from './open-device';
import { type SignalBus, openSignalBus } from './signal-bus';

/** A source that says when a read waits for something outside it (MAVFTP: the vehicle is armed). */
interface PausableSource extends Source {
  readWithPause(path: string, offset: number, options: { signal?: AbortSignal; onPause?: (paused: boolean) => void }): AsyncIterable<Uint8Array>;
}

function isPausable(source: Source): source is PausableSource {
  return typeof (source as Partial<PausableSource>).readWithPause === 'function';
}

interface OpenWrite {
  readonly path: string;
  readonly port: MessagePort;
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

const TYPE_SET: Readonly<Record<LinkMessage['type'], true>> = {
  'link.describe': true,
  'link.round-trip': true,
  'link.list': true,
  'link.read-open': true,
  'link.checksum': true,
  'link.remove': true,
  'link.source-stat': true,
  'link.stat': true,
  'link.partial-size': true,
  'link.write-open': true,
  'link.write-end': true,
  'link.commit': true,
  'link.read-back-open': true,
  'link.remove-committed': true,
};
const TYPES = Object.keys(TYPE_SET) as LinkMessage['type'][];
/** The messages that bring the port their data streams on. */
const STREAMED: ReadonlySet<string> = new Set<LinkMessage['type']>(['link.read-open', 'link.read-back-open', 'link.write-open']);

/** Codes that mean the device itself is unreachable, as opposed to a problem with one file. */
const DOWN_CODES: ReadonlySet<string> = new Set(['disconnected', 'timeout', 'device-gone', 'busy', 'no-route']);

let args: LinkArgs;
let bus: SignalBus | undefined;
let provider: SourceProvider | undefined;
let unwatch: (() => void) | undefined;
let source: Source | undefined;
let target: Target | undefined;
/** Handles name this instance, so a handle from before a restart is refused rather than mistaken. */
const epoch = randomBytes(4).toString('hex');
let nextId = 1;
/** Each stream being sent, by the controller that stops its device read. */
const reads = new Set<AbortController>();
const readAhead = new KeptReadAhead();
const writes = new Map<string, OpenWrite>();
let deviceDown = false;

function features(): SourceFeatures | TargetFeatures | undefined {
  return args.role === 'source' ? source?.features : target?.features;
}

function noteOutcome(error: unknown): void {
  const down = error !== undefined && DOWN_CODES.has(classifyError(error).code);
  // A device that answers again after a fault: the finder lists at once instead of at its backoff.
  if (deviceDown && !down && error === undefined) bus?.post({ type: 'signal.link-changed', configId: args.device.id });
  if (error === undefined || down) deviceDown = down;
}

/**
 * Arms the hang deadline of a device call: past `stuckMs` (not counting a read paused for arming)
 * the link throws on a timer, crashing on purpose so that its supervisor restarts the group; a read
 * stuck in the kernel keeps its event loop free, so nothing else would. Returns the disarm.
 */
function armStuck(what: string, paused?: () => boolean): () => void {
  const stuckMs = args.stuckMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    timer = setTimeout(() => {
      if (paused?.()) return arm();
      throw new TransientError('timeout', `${what} hung for more than ${stuckMs} ms; restarting the link`, { detail: { stuckMs } });
    }, stuckMs);
  };
  arm();
  return () => clearTimeout(timer);
}

/**
 * Runs a device call at once, and replies when it ends without holding the mailbox meanwhile: the
 * device itself serialises what must not overlap (the one MAVFTP session in its client, FTP
 * connections in their pool). `stuck` arms the hang deadline.
 */
function run<T>(call: () => Promise<T>, stuck?: { what: string }): DeferredReply<DeviceReply<T>> {
  return deferReply(
    (async () => {
      const disarm = stuck ? armStuck(stuck.what) : undefined;
      try {
        const value = await call();
        noteOutcome(undefined);
        return { value, features: features() };
      } catch (err) {
        noteOutcome(err);
        throw err;
      } finally {
        disarm?.();
      }
    })(),
  );
}

function handle(kind: string): string {
  return `${epoch}:${kind}:${nextId++}`;
}

function staleHandle(h: string): TransientError {
  return new TransientError('disconnected', `link ${args.device.id}: handle ${h} is not open (the link restarted, or the handle ended)`);
}

function currentSource(sourceId: string): Source {
  if (args.role !== 'source') throw new PermanentError('bad-request', `link ${args.device.id} serves a target, not a source`);
  if (source?.id !== sourceId) {
    throw new TransientError('device-gone', `source ${sourceId} is not present${source ? ` (${source.id} is)` : ''}`, {
      detail: { sourceId, present: source?.id },
    });
  }
  return source;
}

function currentTarget(): Target {
  if (!target) throw new PermanentError('bad-request', `link ${args.device.id} serves a source, not a target`);
  return target;
}

/** A device read's chunks, each under the hang deadline, with the device's state noted from each outcome. */
async function* watched(chunks: AsyncIterable<Uint8Array>, what: string, paused: () => boolean): AsyncGenerator<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  let done = false;
  try {
    while (!done) {
      const disarm = armStuck(what, paused);
      let next: IteratorResult<Uint8Array>;
      try {
        next = await iterator.next();
      } catch (err) {
        noteOutcome(err);
        throw err;
      } finally {
        disarm();
      }
      noteOutcome(undefined);
      done = next.done === true;
      if (!done) yield next.value as Uint8Array;
    }
  } finally {
    if (!done) await iterator.return?.(undefined);
  }
}

/**
 * The buffers every read of this link is done with, for the next reads: a file is read in slices
 * (a stream each), and without it each slice's first chunks would be fresh buffers left dead here.
 */
const pool = new ChunkPool();

/**
 * Streams a device read to the asker on its own port (back-pressure: the device is read only as
 * fast as the asker takes it). The read ends with the stream: at its end, when the asker stops or
 * its thread goes, or when the device goes. Chunks the asker took leave their buffers to the link's
 * `pool`, which a source read is handed as its `ReadOptions.buffers`.
 */
function streamRead(
  port: MessagePort,
  what: string,
  open: (signal: AbortSignal, onPause: (paused: boolean) => void) => AsyncIterable<Uint8Array>,
  onStoppedEarly?: (outcome: SendOutcome) => void,
): void {
  const onStop = new AbortController();
  let paused = false;
  const chunks = watched(open(onStop.signal, (p) => (paused = p)), what, () => paused);
  reads.add(onStop);
  void sendByteStream(port, chunks, { onStop, pool })
    .then((outcome) => outcome && onStoppedEarly?.(outcome), () => undefined)
    .finally(() => reads.delete(onStop));
}

function endReads(reason: unknown): void {
  for (const read of [...reads]) read.abort(reason);
  reads.clear();
  readAhead.clear();
}

function abortWrite(h: string): Promise<void> {
  const write = writes.get(h);
  writes.delete(h);
  if (!write) return Promise.resolve();
  const why = new TransientError('cancelled', `the write ${h} on ${args.device.id} was given up`);
  write.abort.abort(why);
  cancelByteStream(write.port, why);
  return write.done.catch(() => undefined);
}

async function closeDevice(): Promise<void> {
  endReads(new TransientError('disconnected', `link ${args.device.id} is stopping`));
  await Promise.all([...writes.keys()].map(abortWrite));
  unwatch?.();
  await Promise.all([provider?.close(), source?.close(), target?.close()].map((p) => p?.catch(() => undefined)));
}

const linkActor: LinkActor = defineActor<LinkMessage, LinkReplies, LinkArgs>({
  async init(a) {
    args = a;
    bus = openSignalBus(a.bus);
    if (a.role === 'target') {
      target = await openTarget(a.device as TargetConfig, a.dataDir, { ...(a.storePath === undefined ? {} : { storePath: a.storePath }), forLink: true });
      return;
    }
    const device = await openSource(a.device as SourceConfig);
    if (!('watch' in device)) {
      source = device;
      return;
    }
    provider = device;
    unwatch = device.watch((volume) => {
      // Reads of the volume that went away end; their askers see `device-gone`.
      if (source && source.id !== volume?.id) endReads(new TransientError('device-gone', `volume ${source.id} went away`));
      source = volume;
      bus?.post({ type: 'signal.link-changed', configId: a.device.id });
    });
  },
  validate(msg) {
    const m = guardMessage<LinkMessage>(msg, TYPES);
    const r = m as unknown as Record<string, unknown>;
    for (const field of ['path', 'handle', 'sourceId'] as const) {
      if (field in r && typeof r[field] !== 'string') throw new PermanentError('bad-request', `${m.type}: "${field}" must be a string`, { detail: { field } });
    }
    if ('offset' in r && !(typeof r['offset'] === 'number' && r['offset'] >= 0)) throw new PermanentError('bad-request', `${m.type}: "offset" must be ≥ 0`);
    if (STREAMED.has(m.type) && !(r['port'] instanceof MessagePortClass)) throw new PermanentError('bad-request', `${m.type}: "port" must be a MessagePort to stream on`);
    return m;
  },
  handlers: {
    'link.describe': (): LinkDescription =>
      args.role === 'source'
        ? { role: 'source', configId: args.device.id, sourceId: source?.id, features: source?.features }
        : { role: 'target', configId: args.device.id, targetId: currentTarget().id, features: currentTarget().features },
    'link.round-trip': () => source?.roundTripMs?.(),
    'link.list': (msg) => {
      const s = currentSource(msg.sourceId);
      return run(
        async () => {
          const listing: Listing = { entries: [], problems: [] };
          for await (const entry of s.list({ onProblem: (p) => void listing.problems.push(p) })) listing.entries.push(entry);
          return listing;
        },
        { what: `listing ${msg.sourceId}` },
      );
    },
    'link.read-open': (msg) => {
      const s = currentSource(msg.sourceId);
      const key = `${msg.sourceId}\0${msg.path}`;
      const kept = readAhead.take(key, msg.offset);
      streamRead(
        msg.port,
        `a read of ${msg.path} on ${args.device.id}`,
        (signal, onPause) =>
          afterKept(kept, msg.offset, (at) => (isPausable(s) ? s.readWithPause(msg.path, at, { signal, onPause }) : s.read(msg.path, at, { signal, buffers: pool }))),
        (outcome) => readAhead.keep(key, msg.offset + outcome.takenBytes, outcome.untaken),
      );
    },
    'link.checksum': (msg) => {
      const s = currentSource(msg.sourceId);
      const checksum = s.checksum?.bind(s);
      if (!checksum) throw new PermanentError('unsupported', `${msg.sourceId} computes no checksum`);
      return run(() => checksum(msg.path, msg.hash), { what: `${msg.hash} of ${msg.path}` });
    },
    'link.remove': (msg) => {
      const s = currentSource(msg.sourceId);
      const remove = s.remove?.bind(s);
      if (!remove) throw new PermanentError('unsupported', `${msg.sourceId} does not remove files`);
      return run(() => remove(msg.path), { what: `removing ${msg.path}` });
    },
    'link.source-stat': (msg) => {
      const s = currentSource(msg.sourceId);
      const stat = s.stat?.bind(s);
      if (!stat) throw new PermanentError('unsupported', `${msg.sourceId} cannot tell the version of a file`);
      return run(() => stat(msg.path), { what: `looking at ${msg.path}` });
    },
    'link.stat': (msg) => {
      const t = currentTarget();
      return run(async () => (await t.stat(msg.path)) ?? null);
    },
    'link.partial-size': (msg) => {
      const t = currentTarget();
      return run(() => t.partialSize(msg.path));
    },
    'link.write-open': (msg) => {
      const t = currentTarget();
      // Writes to other paths are other files sent beside this one; one still open to this path is
      // left over from an asker that went away (the uploader sends a file once at a time).
      for (const [h, open] of writes) if (open.path === msg.path) void abortWrite(h);
      const abort = new AbortController();
      // A target that keeps no chunk lets each buffer go back to the uploader's thread for its next chunk.
      const data = receiveByteStream(msg.port, abort.signal, t.features.keepsNoChunk === true ? { returnBuffers: true } : {});
      const done = (async () => t.write(msg.path, msg.offset, data, { signal: abort.signal, ...(msg.expected ? { expected: msg.expected } : {}) }))();
      // A write that fails stops its sender with the reason (it may not have read to the end).
      done.catch((err: unknown) => cancelByteStream(msg.port, err));
      const h = handle('write');
      writes.set(h, { path: msg.path, port: msg.port, abort, done });
      return { handle: h };
    },
    'link.write-end': (msg) => {
      const write = writes.get(msg.handle);
      if (!write) throw staleHandle(msg.handle);
      return run(async () => {
        try {
          await write.done;
        } finally {
          writes.delete(msg.handle);
        }
      });
    },
    'link.commit': (msg) => {
      const t = currentTarget();
      return run(() => t.commit(msg.path, msg.expected));
    },
    'link.read-back-open': (msg) => {
      const t = currentTarget();
      const read = t.read?.bind(t);
      if (!read) throw new PermanentError('unsupported', `${t.id} does not read back`);
      streamRead(msg.port, `reading back ${msg.path} on ${args.device.id}`, (signal) => read(msg.path, { signal }));
    },
    'link.remove-committed': (msg) => {
      const t = currentTarget();
      const remove = t.remove?.bind(t);
      if (!remove) throw new PermanentError('unsupported', `${t.id} does not remove files`);
      return run(() => remove(msg.path));
    },
  },
  async stop() {
    await closeDevice();
    bus?.close();
  },
});

export default linkActor;
