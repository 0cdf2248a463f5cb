import { type Clock, type HashName, type ReadOptions, type Source, type SourceEntry, sleep, systemClock } from '@filesync/core';
import type { ActorRefLike } from '@filesync/actors/actor';
import type { MavftpMessage, MavftpReplies } from './mavftp-actor';

export interface MavftpActorSourceOptions {
  readonly id: string;
  readonly clock?: Clock;
  /** How long to wait before asking again while the vehicle is armed. */
  readonly pausePollMs?: number;
  /** Ask timeout: a chunk on a 57600-baud radio or a CRC of a big log takes a while. */
  readonly askTimeoutMs?: number;
}

/**
 * The parent side of the device actor as a `Source`: every call is an ask to the one actor that
 * owns the link, so listings and reads from different pipeline stages cannot collide.
 */
export function createMavftpActorSource(actor: ActorRefLike<MavftpMessage, MavftpReplies>, options: MavftpActorSourceOptions): Source {
  const clock = options.clock ?? systemClock;
  const pausePollMs = options.pausePollMs ?? 1000;
  const ask = { timeoutMs: options.askTimeoutMs ?? 120_000 };
  const source: Source = {
    id: options.id,
    features: { canResume: true, canRemove: true, hashes: ['mavlink-crc32'], parallelism: 1 },
    async *list(): AsyncIterable<SourceEntry> {
      yield* await actor.ask({ type: 'mavftp.list' }, ask);
    },
    async *read(path: string, offset: number, readOptions?: ReadOptions): AsyncIterable<Uint8Array> {
      const { readId } = await actor.ask({ type: 'mavftp.read-open', path, offset }, ask);
      let finished = false;
      try {
        for (;;) {
          if (readOptions?.signal?.aborted) throw readOptions.signal.reason;
          const r = await actor.ask({ type: 'mavftp.read-next', readId }, ask);
          if (r.done) {
            finished = true;
            return;
          }
          if (r.paused) await sleep(pausePollMs, clock, readOptions?.signal);
          else if (r.data) yield r.data;
        }
      } finally {
        if (!finished) await actor.ask({ type: 'mavftp.read-close', readId }, ask).catch(() => undefined);
      }
    },
    checksum: (path: string, hash: HashName) => actor.ask({ type: 'mavftp.checksum', path, hash }, ask),
    remove: (path: string) => actor.ask({ type: 'mavftp.remove', path }, ask),
    // The supervisor owns the actor's life; closing the adapter does not stop the link.
    close: async () => undefined,
  };
  return source satisfies Source;
}
