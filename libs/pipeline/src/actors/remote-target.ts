import type { CommitReceipt, ExpectedContent, ReadOptions, Target, TargetFeatures, TargetStat, WriteOptions } from '@filesync/core';
import { MessageChannel } from 'node:worker_threads';
import { sendByteStream } from '@filesync/actors/actor';
import type { LinkClient } from './link-client';
import { abortable } from './remote-source';

/**
 * A `Target` in the uploader's worker whose device lives in the group's link. A write opens one
 * device write in the link and streams the data to it on a port of its own, as fast as the device
 * takes it (back-pressure); a link that restarts fails it with a `TransientError`, and the
 * uploader resumes from the target's own `partialSize`.
 */
export function createRemoteTarget(client: LinkClient, targetId: string, initialFeatures: TargetFeatures): Target {
  return {
    id: targetId,
    get features() {
      return (client.features as TargetFeatures | undefined) ?? initialFeatures;
    },
    stat: async (path: string): Promise<TargetStat | undefined> => (await client.call({ type: 'link.stat', path })) ?? undefined,
    partialSize: (path: string) => client.call({ type: 'link.partial-size', path }),
    async write(path: string, offset: number, data: AsyncIterable<Uint8Array>, options?: WriteOptions): Promise<void> {
      const signal = options?.signal;
      signal?.throwIfAborted();
      const { port1, port2 } = new MessageChannel();
      const { handle } = await client.ask({ type: 'link.write-open', path, offset, port: port2, ...(options?.expected ? { expected: options.expected } : {}) }, [port2]);
      // A write the link fails stops the stream with its reason; ours (`signal`, bad data) fail the link's write.
      // The staged copy's chunks are fresh reads: moved to the link, not copied.
      await sendByteStream(port1, data, signal ? { signal, moveReleased: true } : { moveReleased: true });
      await abortable(client.call({ type: 'link.write-end', handle }), signal);
    },
    commit: (path: string, expected: ExpectedContent): Promise<CommitReceipt> => client.call({ type: 'link.commit', path, expected }),
    read: (path: string, options?: ReadOptions): AsyncIterable<Uint8Array> => client.receive((port) => ({ type: 'link.read-back-open', path, port }), options?.signal),
    remove: (path: string) => client.call({ type: 'link.remove-committed', path }),
    close: async () => undefined,
  };
}
