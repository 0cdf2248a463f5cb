import { type ErrorData, PermanentError, type SourceEntry, TransientError } from '@filesync/core';
import { type ActorDefinition, defineActor, guardMessage } from '@filesync/actors/actor';
import { type DiskDevice, type DiskDeviceOptions, type DiskStatus, createDiskDevice } from './disk-device';
import type { ReadFailure } from './read-failure-tracker';
import type { ReadGate } from './volume-source';

/** Structured-cloneable options of the disk actor: the device options without functions. */
export interface DiskActorArgs extends Omit<DiskDeviceOptions, 'clock' | 'readGate'> {
  /**
   * A read (one chunk) still running after this long is taken as hung: the actor crashes with a
   * `timeout` reason and its supervisor restarts it. Default 30 000 ms.
   */
  readonly readTimeoutMs?: number;
  /** Simulator only: POST each read to this URL first (the flash simulator's `/gate`). */
  readonly readGateUrl?: string;
}

export type DiskMessage =
  | { readonly type: 'disk.status' }
  /** Waits (up to `timeoutMs`, keep it under the ask timeout) for a volume to be mounted. */
  | { readonly type: 'disk.wait-volume'; readonly timeoutMs: number }
  | { readonly type: 'disk.list'; readonly sourceId: string }
  /** One chunk from `offset`; `eof` once the end is reached. */
  | { readonly type: 'disk.read'; readonly sourceId: string; readonly path: string; readonly offset: number }
  | { readonly type: 'disk.remove'; readonly sourceId: string; readonly path: string }
  | { readonly type: 'disk.failures' };

export interface DiskReplies {
  'disk.status': DiskStatus;
  'disk.wait-volume': DiskStatus;
  'disk.list': readonly SourceEntry[];
  'disk.read': { readonly bytes: Uint8Array; readonly eof: boolean };
  'disk.remove': void;
  'disk.failures': readonly ReadFailure[];
}

export type DiskActor = ActorDefinition<DiskMessage, DiskReplies, DiskActorArgs>;

/** Where to load the actor from (for a child spec's `actor.module`). */
export const DISK_ACTOR_MODULE = new URL('./disk-actor.ts', import.meta.url);

// A record, so the compiler says when a message type is added and not listed here.
const TYPE_SET: Readonly<Record<DiskMessage['type'], true>> = {
  'disk.status': true,
  'disk.wait-volume': true,
  'disk.list': true,
  'disk.read': true,
  'disk.remove': true,
  'disk.failures': true,
};
const TYPES = Object.keys(TYPE_SET) as DiskMessage['type'][];
const DEFAULT_READ_TIMEOUT_MS = 30_000;

let device: DiskDevice | undefined;
let readTimeoutMs = DEFAULT_READ_TIMEOUT_MS;

function httpGate(url: string): ReadGate {
  return async (request) => {
    const res = await fetch(url, { method: 'POST', body: JSON.stringify(request) });
    const reply = (await res.json()) as { action?: string; errno?: string };
    if (reply.action === 'fail') throw Object.assign(new Error(`${reply.errno}: simulated read error`), { code: reply.errno });
  };
}

/** The volume a request names, or device-gone: a request for one card must never be served from another. */
function volumeFor(sourceId: string) {
  const volume = device?.current();
  if (volume?.id === sourceId) return volume;
  throw new TransientError('device-gone', `source ${sourceId} is not mounted${volume ? ` (${volume.id} is)` : ''}`, {
    detail: { sourceId, mounted: volume?.id },
  });
}

/**
 * Runs one read under a deadline. The runtime's heartbeat catches a blocked event loop, but a read
 * stuck in the kernel (a dead USB device) blocks a libuv pool thread and leaves the loop free, so
 * the heartbeat would go on. Past the deadline the actor crashes on purpose (a throw on a timer):
 * its supervisor restarts it, and the stuck pool thread is all that is left of the read.
 */
async function withReadDeadline<T>(what: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const timer = setTimeout(() => {
    const error: ErrorData = {
      kind: 'transient',
      code: 'timeout',
      message: `${what} hung for ${Math.round(performance.now() - started)} ms (read timeout ${readTimeoutMs} ms); restarting the drive actor`,
      detail: { readTimeoutMs, elapsedMs: Math.round(performance.now() - started) },
    };
    throw new TransientError(error.code, error.message, { detail: error.detail! });
  }, readTimeoutMs);
  try {
    return await run();
  } finally {
    clearTimeout(timer);
  }
}

const diskActor: DiskActor = defineActor<DiskMessage, DiskReplies, DiskActorArgs>({
  async init(args) {
    readTimeoutMs = args.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    const { readTimeoutMs: _t, readGateUrl, ...options } = args;
    device = createDiskDevice({ ...options, ...(readGateUrl ? { readGate: httpGate(readGateUrl) } : {}) });
    await device.start();
  },
  validate(msg) {
    const m = guardMessage<DiskMessage>(msg, TYPES);
    const bad = (field: string): never => {
      throw new PermanentError('bad-request', `${m.type}: "${field}" is missing or malformed`, { detail: { field } });
    };
    const r = m as unknown as Record<string, unknown>;
    if ('sourceId' in m && typeof r['sourceId'] !== 'string') bad('sourceId');
    if ('path' in m && typeof r['path'] !== 'string') bad('path');
    if ('offset' in m && !(typeof r['offset'] === 'number' && r['offset'] >= 0)) bad('offset');
    if (m.type === 'disk.wait-volume' && !(typeof r['timeoutMs'] === 'number' && r['timeoutMs'] >= 0)) bad('timeoutMs');
    return m;
  },
  handlers: {
    'disk.status': () => device!.status(),
    'disk.wait-volume': async (msg) => {
      const signal = AbortSignal.timeout(msg.timeoutMs);
      await device!.waitForVolume(signal).catch(() => undefined);
      return device!.status();
    },
    'disk.list': async (msg) => {
      const volume = volumeFor(msg.sourceId);
      const entries: SourceEntry[] = [];
      await withReadDeadline(`listing ${msg.sourceId}`, async () => {
        for await (const entry of volume.list()) entries.push(entry);
      });
      return entries;
    },
    'disk.read': async (msg) => {
      const volume = volumeFor(msg.sourceId);
      return withReadDeadline(`reading ${msg.path} at byte ${msg.offset}`, async () => {
        const { bytes, eof } = await volume.readChunk(msg.path, msg.offset);
        return { bytes, eof };
      });
    },
    'disk.remove': async (msg) => {
      const volume = volumeFor(msg.sourceId);
      const remove = volume.remove;
      if (!remove) throw new PermanentError('unsupported', `${msg.sourceId} does not remove files (canRemove is off)`);
      await withReadDeadline(`removing ${msg.path}`, () => remove(msg.path));
    },
    'disk.failures': () => device!.failures.failures(),
  },
  async stop() {
    await device?.close();
  },
});

export default diskActor;
