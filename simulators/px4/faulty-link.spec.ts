import { describe, expect, it } from 'vitest';
import { DEFAULT_FAULTS, type LinkFaults } from './faults';
import { FaultyLink } from './faulty-link';

/** Random numbers from a list, so each fault decision in a test is chosen, not drawn. */
function scripted(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

function link(faults: Partial<LinkFaults>, random: () => number): { l: FaultyLink; out: number[] } {
  const out: number[] = [];
  const f = { ...DEFAULT_FAULTS, ...faults };
  return { l: new FaultyLink((frame) => void out.push(frame[0]!), () => f, random), out };
}

describe('faulty link', () => {
  it('drops, duplicates and swaps frames as the faults say', async () => {
    // Each frame draws: loss, dup, reorder.
    const lossy = link({ lossDown: 0.5 }, scripted([0.9, 0.9, 0.9, 0.1]));
    lossy.l.send(Buffer.from([1]));
    lossy.l.send(Buffer.from([2]));
    expect(lossy.out).toEqual([1]);
    expect(lossy.l.counters.droppedOut).toBe(1);

    const dup = link({ dup: 0.5 }, scripted([0.9, 0.1, 0.9]));
    dup.l.send(Buffer.from([7]));
    expect(dup.out).toEqual([7, 7]);

    const swap = link({ reorder: 0.5 }, scripted([0.9, 0.9, 0.1, 0.9, 0.9, 0.9]));
    swap.l.send(Buffer.from([1]));
    swap.l.send(Buffer.from([2]));
    expect(swap.out).toEqual([2, 1]);
    swap.l.close();
  });

  it('reports PX4 the free TX buffer, which shrinks while a capped wire is busy', async () => {
    const { l, out } = link({ baud: 9600, txBuffer: 1500 }, () => 0.99);
    expect(l.freeTxBytes()).toBe(1500);
    for (let i = 0; i < 4; i++) l.send(Buffer.alloc(266, i));
    expect(l.freeTxBytes()).toBeLessThan(1500 - 2 * 266);
    // 960 B/s: all four frames are on the wire within about 1.1 s.
    for (let i = 0; i < 300 && out.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    expect(out).toEqual([0, 1, 2, 3]);
    expect(l.freeTxBytes()).toBe(1500);
    l.close();
  });

  it('delivers inbound frames through the same faults', () => {
    const { l } = link({ lossUp: 0.5 }, scripted([0.1, 0.9, 0.9, 0.9]));
    const got: number[] = [];
    l.receive(() => got.push(1));
    l.receive(() => got.push(2));
    expect(got).toEqual([2]);
    expect(l.counters.droppedIn).toBe(1);
    l.close();
  });
});
