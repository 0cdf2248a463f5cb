import type { Source } from '@filesync/core';

/**
 * A source whose device comes and goes, such as a flash drive: it hands out the `Source` of the
 * volume present now (its id carries the volume UUID), and `undefined` when the volume is gone.
 */
export interface SourceProvider {
  readonly configId: string;
  /** Calls `listener` with each volume's source as it appears, and with undefined as it goes; returns unsubscribe. */
  watch(listener: (source: Source | undefined) => void): () => void;
  close(): Promise<void>;
}

export function isSourceProvider(value: Source | SourceProvider): value is SourceProvider {
  return 'watch' in value && typeof value.watch === 'function';
}
