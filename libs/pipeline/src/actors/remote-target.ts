import type { CommitReceipt, ExpectedContent, ReadOptions, Target, TargetFeatures, TargetStat, WriteOptions } from '@filesync/core';
import type { LinkClient } from './link-client';
import { abortable, pullHandle } from './remote-source';

/**
 * A `Target` in the uploader's worker whose device lives in the group's link. A write opens one
 * device write in the link and sends the data a chunk per message, waiting for each chunk to be
 * taken before the next (back-pressure); a link that restarts fails it with a `TransientError`,
 * and the uploader resumes from the target's own `partialSize`.
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
      const { handle } = await client.ask({ type: 'link.write-open', path, offset, ...(options?.expected ? { expected: options.expected } : {}) });
      try {
        for await (const chunk of data) {
          await abortable(client.call({ type: 'link.write-chunk', handle, data: chunk }), signal);
        }
        await abortable(client.call({ type: 'link.write-end', handle }), signal);
      } catch (err) {
        await client.ask({ type: 'link.write-abort', handle }).catch(() => undefined);
        throw err;
      }
    },
    commit: (path: string, expected: ExpectedContent): Promise<CommitReceipt> => client.call({ type: 'link.commit', path, expected }),
    async *read(path: string, options?: ReadOptions): AsyncIterable<Uint8Array> {
      const { handle } = await client.ask({ type: 'link.read-back-open', path });
      yield* pullHandle(client, handle, options?.signal);
    },
    remove: (path: string) => client.call({ type: 'link.remove-committed', path }),
    close: async () => undefined,
  };
}
