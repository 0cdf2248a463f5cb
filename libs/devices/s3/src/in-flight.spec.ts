import { describe, expect, it } from 'vitest';
import { sendBounded } from './in-flight';

/** A send that resolves (or rejects) when the test says so, so the order of finishing is the test's. */
function gate(): { promise: Promise<void>; open(): void; fail(err: Error): void } {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Items 1..n, counting how many were pulled (one reader, in order). */
function counted(n: number): { items: AsyncGenerator<number>; pulled: () => number } {
  let pulled = 0;
  async function* items(): AsyncGenerator<number> {
    for (let i = 1; i <= n; i++) {
      pulled++;
      yield i;
    }
  }
  return { items: items(), pulled: () => pulled };
}

describe('sendBounded', () => {
  it('keeps at most `limit` sends in flight, pulls the next item only when a slot frees, and lets them finish out of order', async () => {
    const gates = new Map<number, ReturnType<typeof gate>>();
    const { items, pulled } = counted(5);
    let inFlight = 0;
    let most = 0;
    const finished: number[] = [];
    const all = sendBounded(items, 3, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      const g = gate();
      gates.set(n, g);
      await g.promise;
      inFlight--;
      finished.push(n);
    });
    await tick();
    expect([...gates.keys()]).toEqual([1, 2, 3]);
    expect(pulled()).toBe(3);
    gates.get(3)?.open();
    await tick();
    expect([...gates.keys()]).toEqual([1, 2, 3, 4]);
    gates.get(2)?.open();
    await tick();
    for (const n of [4, 5, 1]) {
      await tick();
      gates.get(n)?.open();
    }
    await all;
    expect(finished).toEqual([3, 2, 4, 5, 1]);
    expect(most).toBe(3);
  });

  it('a failure stops the pulling, waits for the sends in flight, then throws the first failure', async () => {
    const gates = new Map<number, ReturnType<typeof gate>>();
    const { items, pulled } = counted(10);
    const settled: number[] = [];
    const all = sendBounded(items, 2, async (n) => {
      const g = gate();
      gates.set(n, g);
      await g.promise.finally(() => settled.push(n));
    });
    const outcome = all.then(
      () => 'resolved',
      (e: unknown) => (e as Error).message,
    );
    await tick();
    gates.get(2)?.fail(new Error('part 2 failed'));
    await tick();
    // Part 1 is still in flight: the call has not settled.
    expect(await Promise.race([outcome, tick().then(() => 'pending')])).toBe('pending');
    gates.get(1)?.fail(new Error('part 1 failed later'));
    expect(await outcome).toBe('part 2 failed');
    expect(settled.sort()).toEqual([1, 2]);
    expect(pulled()).toBeLessThanOrEqual(3);
  });

  it('a stream error is thrown after the sends in flight settle', async () => {
    async function* broken(): AsyncGenerator<number> {
      yield 1;
      throw new Error('staging read failed');
    }
    let done = 0;
    await expect(
      sendBounded(broken(), 4, async () => {
        await tick();
        done++;
      }),
    ).rejects.toThrow('staging read failed');
    expect(done).toBe(1);
  });

  it('refuses a limit below 1 or not whole', async () => {
    await expect(sendBounded(counted(1).items, 0, async () => undefined)).rejects.toThrow(RangeError);
    await expect(sendBounded(counted(1).items, 1.5, async () => undefined)).rejects.toThrow(RangeError);
  });
});
