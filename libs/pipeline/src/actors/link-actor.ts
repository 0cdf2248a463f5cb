import { randomBytes } from 'node:crypto';
import {
  PermanentError,
  type Source,
  type SourceConfig,
  type SourceFeatures,
  type Target,
  type TargetConfig,
  type TargetFeatures,
  TransientError,
  classifyError,
} from '@filesync/core';
import { defineActor, guardMessage } from '@filesync/actors/actor';
import type { SourceProvider } from '../source-provider';
import { ChunkQueue } from './chunk-queue';
import type { JobReply, LinkActor, LinkArgs, LinkDescription, LinkMessage, LinkReplies, Listing } from './link-protocol';
import { openSource, openTarget } from './open-device';
import { type SignalBus, openSignalBus } from './signal-bus';

/** A source that says when a read waits for something outside it (MAVFTP: the vehicle is armed). */
interface PausableSource extends Source {
  readWithPause(path: string, offset: number, options: { signal?: AbortSignal; onPause?: (paused: boolean) => void }): AsyncIterable<Uint8Array>;
}

function isPausable(source: Source): source is PausableSource {
  return typeof (source as Partial<PausableSource>).readWithPause === 'function';
}

interface Job {
  readonly promise: Promise<unknown>;
  outcome: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
}

interface OpenRead {
  readonly iterator: AsyncIterator<Uint8Array>;
  readonly abort: AbortController;
  /** The `next()` job still running, so a second `read-next` waits on it instead of reading twice. */
  job: number | undefined;
  /** Set by the source while the read waits for disarm. */
  readonly pause: { paused: boolean };
  /** Set once its first `next()` took a turn: the read holds its device stream from then on. */
  started: boolean;
}

interface OpenWrite {
  readonly queue: ChunkQueue;
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

const TYPE_SET: Readonly<Record<LinkMessage['type'], true>> = {
  'link.describe': true,
  'link.await': true,
  'link.round-trip': true,
  'link.list': true,
  'link.read-open': true,
  'link.read-next': true,
  'link.read-close': true,
  'link.checksum': true,
  'link.remove': true,
  'link.source-stat': true,
  'link.stat': true,
  'link.partial-size': true,
  'link.write-open': true,
  'link.write-chunk': true,
  'link.write-end': true,
  'link.write-abort': true,
  'link.commit': true,
  'link.read-back-open': true,
  'link.remove-committed': true,
};
const TYPES = Object.keys(TYPE_SET) as LinkMessage['type'][];

const DEFAULT_WAIT_MS = 20;
/** A finished job's result is kept this long for its asker, whose next `link.await` is at most a poll pause away. */
const KEEP_RESULT_MS = 30_000;

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
const jobs = new Map<number, Job>();
const reads = new Map<string, OpenRead>();
const writes = new Map<string, OpenWrite>();
let deviceDown = false;

/** Device calls running now and waiting for a turn: at most `parallelism` run at once. */
let running = 0;
const queued: (() => void)[] = [];

function capacity(): number {
  return args.role === 'source' ? Math.max(1, source?.features.parallelism ?? 1) : 1;
}

/**
 * Source calls take turns (the finder's listing, the downloader's reads, the cleaner's removes).
 * A target has one asker, its uploader, whose calls already come one after another, and a write's
 * chunks run while the write is open: turns there would only deadlock.
 */
async function withTurn<T>(call: () => Promise<T>): Promise<T> {
  if (args.role === 'target') return call();
  if (running >= capacity()) await new Promise<void>((resolve) => queued.push(resolve));
  running++;
  try {
    return await call();
  } finally {
    running--;
    queued.shift()?.();
  }
}

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
 * Starts a device call as a job. `stuck` arms the hang deadline: past `stuckMs` (not counting a
 * read paused for arming) the link throws on a timer, crashing on purpose so that its supervisor
 * restarts the group; a read stuck in the kernel keeps its event loop free, so nothing else would.
 * With `ownTurn` the call goes on something that already holds its device stream (an open read's
 * next chunk) and takes no turn: waiting for one would deadlock against calls that hold the turns
 * while they wait for the stream's connection.
 */
function startJob(call: () => Promise<unknown>, stuck?: { what: string; paused?: () => boolean }, ownTurn = false): number {
  const id = nextId++;
  const stuckMs = args.stuckMs ?? 120_000;
  // A result nobody comes for (its asker crashed) is dropped; a live asker is back within a round trip.
  const forget = (): void => void setTimeout(() => jobs.delete(id), KEEP_RESULT_MS).unref();
  const job: Job = {
    outcome: undefined,
    promise: (ownTurn ? (f: () => Promise<unknown>) => f() : withTurn)(async () => {
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        timer = setTimeout(() => {
          if (stuck?.paused?.()) return arm();
          throw new TransientError('timeout', `${stuck?.what ?? 'a device call'} hung for more than ${stuckMs} ms; restarting the link`, {
            detail: { stuckMs },
          });
        }, stuckMs);
      };
      if (stuck) arm();
      try {
        return await call();
      } finally {
        clearTimeout(timer);
      }
    }).then(
      (value) => {
        job.outcome = { ok: true, value };
        noteOutcome(undefined);
        forget();
      },
      (error: unknown) => {
        job.outcome = { ok: false, error };
        noteOutcome(error);
        forget();
      },
    ),
  };
  jobs.set(id, job);
  return id;
}

/** The job's result if it ends within `waitMs`, else "pending". A finished job nobody collects is dropped after a while. */
async function collect(id: number): Promise<JobReply<never>> {
  const job = jobs.get(id);
  if (!job) throw new TransientError('disconnected', `link ${args.device.id}: no job ${id} (the link restarted, or it was collected)`);
  const waitMs = args.waitMs ?? DEFAULT_WAIT_MS;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([job.promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
  clearTimeout(timer);
  const outcome = job.outcome;
  if (!outcome) return { done: false, job: id };
  jobs.delete(id);
  if (!outcome.ok) throw outcome.error;
  return { done: true, value: outcome.value as never, features: features() };
}

function run(call: () => Promise<unknown>, stuck?: { what: string; paused?: () => boolean }): Promise<JobReply<never>> {
  return collect(startJob(call, stuck));
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

function openRead(iterate: (signal: AbortSignal, onPause: (paused: boolean) => void) => AsyncIterable<Uint8Array>): string {
  // More reads than the device runs at once means an asker went away without closing (it crashed): end the oldest.
  const limit = capacity();
  for (const [h] of [...reads].slice(0, Math.max(0, reads.size - limit + 1))) closeRead(h);
  const abort = new AbortController();
  const pause = { paused: false };
  const iterator = iterate(abort.signal, (paused) => (pause.paused = paused))[Symbol.asyncIterator]();
  const h = handle('read');
  reads.set(h, { iterator, abort, job: undefined, pause, started: false });
  return h;
}

function closeRead(h: string): void {
  const read = reads.get(h);
  reads.delete(h);
  if (!read) return;
  const job = read.job === undefined ? undefined : jobs.get(read.job);
  const inFlight = job !== undefined && job.outcome === undefined;
  // A `next` under way is cut short; a read stopped between chunks is ended first, so that a device
  // which can keep the transfer for the next read from there (FTP) sees a plain stop, not a cancel.
  if (inFlight) read.abort.abort();
  // An async generator's `return` queues behind a running `next`: end it once that settles.
  void Promise.resolve(job?.promise)
    .catch(() => undefined)
    .then(() => read.iterator.return?.(undefined))
    .catch(() => undefined)
    .finally(() => read.abort.abort());
}

function abortWrite(h: string): Promise<void> {
  const write = writes.get(h);
  writes.delete(h);
  if (!write) return Promise.resolve();
  write.abort.abort();
  write.queue.end();
  return write.done.catch(() => undefined);
}

async function closeDevice(): Promise<void> {
  for (const h of [...reads.keys()]) closeRead(h);
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
      // Reads of the volume that went away end; their askers see `device-gone` on the next call.
      if (source && source.id !== volume?.id) for (const h of [...reads.keys()]) closeRead(h);
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
    if (m.type === 'link.write-chunk' && !(r['data'] instanceof Uint8Array)) throw new PermanentError('bad-request', 'link.write-chunk: "data" must be bytes');
    return m;
  },
  handlers: {
    'link.describe': (): LinkDescription =>
      args.role === 'source'
        ? { role: 'source', configId: args.device.id, sourceId: source?.id, features: source?.features }
        : { role: 'target', configId: args.device.id, targetId: currentTarget().id, features: currentTarget().features },
    'link.await': (msg) => collect(msg.job),
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
      return {
        handle: openRead((signal, onPause) =>
          isPausable(s) ? s.readWithPause(msg.path, msg.offset, { signal, onPause }) : s.read(msg.path, msg.offset, { signal }),
        ),
      };
    },
    'link.read-next': (msg) => {
      const read = reads.get(msg.handle);
      if (!read) throw staleHandle(msg.handle);
      if (read.job !== undefined && jobs.has(read.job)) return collect(read.job);
      read.job = startJob(
        async () => {
          const next = await read.iterator.next();
          if (next.done) reads.delete(msg.handle);
          return { data: next.done ? null : next.value };
        },
        { what: `a read on ${args.device.id}`, paused: () => read.pause.paused },
        read.started,
      );
      read.started = true;
      return collect(read.job);
    },
    'link.read-close': (msg) => closeRead(msg.handle),
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
      // One uploader per target: a write still open is left over from an asker that went away.
      for (const h of [...writes.keys()]) void abortWrite(h);
      const queue = new ChunkQueue();
      const abort = new AbortController();
      const done = (async () => t.write(msg.path, msg.offset, queue, { signal: abort.signal, ...(msg.expected ? { expected: msg.expected } : {}) }))();
      done.catch(() => undefined);
      const h = handle('write');
      writes.set(h, { queue, abort, done });
      return { handle: h };
    },
    'link.write-chunk': (msg) => {
      const write = writes.get(msg.handle);
      if (!write) throw staleHandle(msg.handle);
      const data = msg.data;
      if (!data) throw new PermanentError('bad-request', 'link.write-chunk without data');
      return run(() =>
        Promise.race([
          write.queue.push(data),
          write.done.then(() => {
            throw new TransientError('conflict', `the write on ${args.device.id} ended before it took all the data`);
          }),
        ]),
      );
    },
    'link.write-end': (msg) => {
      const write = writes.get(msg.handle);
      if (!write) throw staleHandle(msg.handle);
      write.queue.end();
      return run(async () => {
        try {
          await write.done;
        } finally {
          writes.delete(msg.handle);
        }
      });
    },
    'link.write-abort': (msg) => abortWrite(msg.handle),
    'link.commit': (msg) => {
      const t = currentTarget();
      return run(() => t.commit(msg.path, msg.expected));
    },
    'link.read-back-open': (msg) => {
      const t = currentTarget();
      const read = t.read?.bind(t);
      if (!read) throw new PermanentError('unsupported', `${t.id} does not read back`);
      return { handle: openRead((signal) => read(msg.path, { signal })) };
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
