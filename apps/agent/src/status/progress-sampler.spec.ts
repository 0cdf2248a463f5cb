import { ManualClock } from '@filesync/core';
import { describe, expect, it } from 'vitest';
import { ProgressSampler, etaSeconds } from './progress-sampler';

describe('ProgressSampler', () => {
  it('rates a transfer over the window and forgets ended ones', () => {
    const clock = new ManualClock(1_000_000);
    const s = new ProgressSampler(clock, 2_000, 3, 1_000);
    const moved = { downloaded: 0, uploaded: 0 };
    s.sample(new Map([['a', 0]]), moved);
    expect(s.rateOf('a')).toBe(0);
    clock.advance(1_000);
    s.sample(new Map([['a', 1_000]]), moved);
    expect(s.rateOf('a')).toBe(1_000);
    clock.advance(1_000);
    s.sample(new Map([['a', 3_000]]), moved);
    clock.advance(1_000);
    s.sample(new Map([['a', 5_000]]), moved);
    // The base is the newest sample at least 2 s old: (5000 - 1000) / 2 s.
    expect(s.rateOf('a')).toBe(2_000);
    clock.advance(1_000);
    s.sample(new Map(), moved);
    expect(s.rateOf('a')).toBeUndefined();
  });

  it('turns the moved-bytes counters into per-second points over the span, clamped at zero, keeping the last few', () => {
    const clock = new ManualClock(1_000_000);
    const s = new ProgressSampler(clock, 2_000, 2, 1_000);
    s.sample(new Map(), { downloaded: 0, uploaded: 0 });
    expect(s.throughput()).toEqual([]);
    clock.advance(500);
    s.sample(new Map(), { downloaded: 1_000, uploaded: 0 });
    clock.advance(500);
    s.sample(new Map(), { downloaded: 500, uploaded: 2_000 });
    expect(s.throughput()).toEqual([
      { at: 1_000_500, down: 2_000, up: 0 },
      // From the first sample (1 s back): 500 down, 2000 up.
      { at: 1_001_000, down: 500, up: 2_000 },
    ]);
    clock.advance(1_000);
    // The counter went back from the base (500, the newest sample at least 1 s old): read as 0, never negative.
    s.sample(new Map(), { downloaded: 400, uploaded: 2_000 });
    expect(s.throughput().at(-1)).toEqual({ at: 1_002_000, down: 0, up: 0 });
    expect(s.throughput()).toHaveLength(2);
  });

  it('gives no ETA without a rate', () => {
    expect(etaSeconds(1_000, undefined)).toBeUndefined();
    expect(etaSeconds(1_000, 0)).toBeUndefined();
    expect(etaSeconds(1_000, 300)).toBe(4);
  });
});
