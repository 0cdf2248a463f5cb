/**
 * Runs `send` on each item of `items`, in order, with at most `limit` sends unsettled at once.
 *
 * - The next item is pulled only once a slot is free: with items that are part buffers made on demand
 *   (splitParts), at most `limit` buffers exist, plus the one being filled. One reader, in order.
 * - The first failure stops the pulling; the sends already in flight are awaited (each records its own
 *   part when it succeeds, so a part the store took is not wasted), then that first failure is thrown.
 *   A stream error is thrown the same way, after the sends in flight settle: nothing is left running.
 */
export async function sendBounded<T>(items: AsyncIterable<T>, limit: number, send: (item: T) => Promise<void>): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`parts in flight must be a whole number ≥ 1, not ${limit}`);
  const running = new Set<Promise<void>>();
  let failure: { readonly error: unknown } | undefined;
  const fail = (error: unknown): void => {
    failure ??= { error };
  };
  try {
    for await (const item of items) {
      // A send may have failed while the next item was being read: it is not sent.
      if (failure !== undefined) break;
      const task: Promise<void> = send(item).then(
        () => void running.delete(task),
        (err: unknown) => {
          running.delete(task);
          fail(err);
        },
      );
      running.add(task);
      // `running` shrinks as sends settle; each race returns after one of them did.
      while (running.size >= limit && failure === undefined) await Promise.race(running);
      if (failure !== undefined) break;
    }
  } catch (err) {
    fail(err);
  } finally {
    await Promise.all(running);
  }
  if (failure !== undefined) throw failure.error;
}
