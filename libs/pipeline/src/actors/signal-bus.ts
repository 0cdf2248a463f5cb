import { BroadcastChannel } from 'node:worker_threads';

/**
 * Hints between the agent's workers that something may be ready now, so it is picked up at once
 * rather than at the next poll. They cross supervision groups (a downloader of `source:px4` wakes
 * the uploader of `target:nas`) and go from an earlier sibling to later ones (the link tells its
 * finder), which channels cannot: a channel is a client's line to an earlier sibling. A lost hint
 * costs one poll interval, never a file: the catalog stays the only hand-off.
 */
export type PipelineSignal =
  /** A scan recorded new files of source `configId`: its downloader looks now. */
  | { readonly type: 'signal.found'; readonly configId: string }
  /** A file of source `configId` was staged: every uploader looks now. */
  | { readonly type: 'signal.staged'; readonly configId: string }
  /** A file of source `configId` was delivered everywhere: its cleaner looks now. */
  | { readonly type: 'signal.delivered'; readonly configId: string }
  /** The link of `configId` changed: a volume came or went, or the device answered again after a fault. */
  | { readonly type: 'signal.link-changed'; readonly configId: string };

const TYPES: ReadonlySet<string> = new Set<PipelineSignal['type']>(['signal.found', 'signal.staged', 'signal.delivered', 'signal.link-changed']);

export interface SignalBus {
  post(signal: PipelineSignal): void;
  /** Every signal posted by another thread (never one's own); returns unsubscribe. */
  subscribe(listener: (signal: PipelineSignal) => void): () => void;
  close(): void;
}

function isSignal(value: unknown): value is PipelineSignal {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { type?: unknown; configId?: unknown };
  return typeof v.type === 'string' && TYPES.has(v.type) && typeof v.configId === 'string';
}

/**
 * A signal posted again within this long after the last one of its kind (type and config id) sent is
 * sent once more at the end of that time, not each time: a downloader staging small files posted
 * `signal.staged` per file, and every thread of the agent on the bus (each has one) took each post
 * off its port and woke for it. The first one goes at once; no later one is lost, only merged.
 */
export const SIGNAL_COALESCE_MS = 100;

/**
 * Joins the bus named `name` (one per agent: its data dir, so two agents in one process, as in
 * tests, do not hear each other). It never keeps a thread alive on its own.
 */
export function openSignalBus(name: string, coalesceMs = SIGNAL_COALESCE_MS): SignalBus {
  const channel = new BroadcastChannel(`filesync.signals:${name}`);
  channel.unref();
  let closed = false;
  /** Kinds sent within the last `coalesceMs`, each with whether another post of it waits to go. */
  const recent = new Map<string, { again: boolean; timer: NodeJS.Timeout }>();
  const send = (key: string, signal: PipelineSignal): void => {
    channel.postMessage(signal);
    const timer = setTimeout(() => {
      const entry = recent.get(key);
      recent.delete(key);
      if (entry?.again && !closed) send(key, signal);
    }, coalesceMs);
    timer.unref();
    recent.set(key, { again: false, timer });
  };
  const listeners = new Set<(signal: PipelineSignal) => void>();
  channel.onmessage = (event: unknown) => {
    const data = (event as { data?: unknown }).data;
    // Anything else on the channel is a bug elsewhere; a hint is not worth crashing a worker for.
    if (!isSignal(data)) return;
    for (const listener of listeners) listener(data);
  };
  return {
    post(signal) {
      if (closed) return;
      const key = `${signal.type}\0${signal.configId}`;
      const entry = recent.get(key);
      if (entry) entry.again = true;
      else send(key, signal);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closed = true;
      for (const { timer } of recent.values()) clearTimeout(timer);
      recent.clear();
      listeners.clear();
      channel.close();
    },
  };
}
