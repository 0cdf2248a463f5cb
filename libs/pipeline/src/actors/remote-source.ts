import type { HashName, ListOptions, ReadOptions, Source, SourceEntry, SourceFeatures } from '@filesync/core';
import type { SourceProvider } from '../source-provider';
import type { LinkClient } from './link-client';
import type { LinkDescription } from './link-protocol';
import type { SignalBus } from './signal-bus';

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * A `Source` in a stage worker whose device lives in the group's link: every call is a message to
 * the link. A read is one device stream in the link (one MAVFTP session per read, not per chunk)
 * whose chunks flow to this thread on a port of its own; a link that restarts fails the read with
 * a `TransientError`, and the downloader resumes from its durable offset.
 */
export function createRemoteSource(client: LinkClient, sourceId: string, initialFeatures: SourceFeatures): Source {
  const remote: Source = {
    id: sourceId,
    get features() {
      return (client.features as SourceFeatures | undefined) ?? initialFeatures;
    },
    async *list(options?: ListOptions): AsyncIterable<SourceEntry> {
      const { entries, problems } = await client.call({ type: 'link.list', sourceId });
      for (const problem of problems) options?.onProblem?.(problem);
      yield* entries;
    },
    read: (path: string, offset: number, options?: ReadOptions): AsyncIterable<Uint8Array> =>
      client.receive((port) => ({ type: 'link.read-open', sourceId, path, offset, port }), options?.signal),
    // The link closes the device; this side has nothing of its own to close.
    close: async () => undefined,
  };
  if (initialFeatures.hashes.length > 0) remote.checksum = (path: string, hash: HashName) => client.call({ type: 'link.checksum', sourceId, path, hash });
  if (initialFeatures.identity !== undefined) remote.stat = (path: string) => client.call({ type: 'link.source-stat', sourceId, path });
  if (initialFeatures.canRemove) remote.remove = (path: string) => client.call({ type: 'link.remove', sourceId, path });
  return remote;
}

/**
 * The source a stage worker sees through its link: a fixed source, or for a removable drive the
 * volume mounted now, followed through the link's `signal.link-changed` (a card swapped while the
 * worker runs is noticed at once, not at the next poll).
 */
export function createRemoteSourceProvider(client: LinkClient, first: Extract<LinkDescription, { role: 'source' }>, bus: SignalBus): SourceProvider {
  return {
    configId: first.configId,
    watch(listener) {
      let current: string | undefined;
      const apply = (d: Extract<LinkDescription, { role: 'source' }>): void => {
        if (d.sourceId === current) return;
        current = d.sourceId;
        listener(d.sourceId !== undefined && d.features ? createRemoteSource(client, d.sourceId, d.features) : undefined);
      };
      apply(first);
      let asking = Promise.resolve();
      const unsubscribe = bus.subscribe((signal) => {
        if (signal.type !== 'signal.link-changed' || signal.configId !== first.configId) return;
        // One look at a time, in order, so a quick unplug-replug ends on the latest state.
        asking = asking.then(async () => {
          const d = await client.ask({ type: 'link.describe' }).catch(() => undefined);
          if (d?.role === 'source') apply(d);
        });
      });
      return unsubscribe;
    },
    close: async () => undefined,
  };
}
