import { describe, expect, it } from 'vitest';
import { ProgressSampler, etaSeconds } from './progress-sampler';

describe('ProgressSampler', () => {
  it('rates a transfer over the window, forgets ended ones, and starts afresh when it goes back', () => {
    const s = new ProgressSampler(2_000, 3);
    const moved = { downloaded: 0, uploaded: 0 };
    s.sample(0, 0, new Map([['a', 0]]), moved);
    expect(s.rateOf('a')).toBeUndefined();
    s.sample(1_000, 1_000, new Map([['a', 1_000]]), moved);
    expect(s.rateOf('a')).toBe(1_000);
    s.sample(2_000, 2_000, new Map([['a', 3_000]]), moved);
    s.sample(3_000, 3_000, new Map([['a', 5_000]]), moved);
    // The first sample fell out of the 2 s window: (5000 - 1000) / 2 s.
    expect(s.rateOf('a')).toBe(2_000);
    s.sample(4_000, 4_000, new Map([['a', 100]]), moved);
    expect(s.rateOf('a')).toBeUndefined();
    s.sample(5_000, 5_000, new Map(), moved);
    expect(s.rateOf('a')).toBeUndefined();
  });

  it('turns the moved-bytes counters into per-second points over the span, clamped at zero, keeping the last few', () => {
    const s = new ProgressSampler(2_000, 2, 1_000);
    s.sample(0, 100, new Map(), { downloaded: 0, uploaded: 0 });
    s.sample(500, 600, new Map(), { downloaded: 1_000, uploaded: 0 });
    // Over the span from the first sample: (500 - 0) / 1 s down, 2000 / 1 s up.
    s.sample(1_000, 1_100, new Map(), { downloaded: 500, uploaded: 2_000 });
    expect(s.throughput()).toEqual([
      { at: 600, down: 2_000, up: 0 },
      { at: 1_100, down: 500, up: 2_000 },
    ]);
    // From the sample at 500 ms (the one at 0 left the span): the counter went back, so 0 down.
    s.sample(1_500, 1_600, new Map(), { downloaded: 800, uploaded: 2_000 });
    expect(s.throughput()).toEqual([
      { at: 1_100, down: 500, up: 2_000 },
      { at: 1_600, down: 0, up: 2_000 },
    ]);
  });

  it('gives no ETA without a rate', () => {
    expect(etaSeconds(1_000, undefined)).toBeUndefined();
    expect(etaSeconds(1_000, 0)).toBeUndefined();
    expect(etaSeconds(1_000, 300)).toBe(4);
  });
});
