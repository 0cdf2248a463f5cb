import { describe, expect, it } from 'vitest';
import { RttEstimator } from './rtt';

describe('retransmission timeout', () => {
  it('starts at the configured timeout, then follows measured round trips within its floor', () => {
    const rtt = new RttEstimator(500);
    expect(rtt.rtoMs).toBe(500);
    for (let i = 0; i < 20; i++) rtt.sample(2);
    expect(rtt.rtoMs).toBe(25);
    for (let i = 0; i < 20; i++) rtt.sample(300);
    expect(rtt.rtoMs).toBeGreaterThan(300);
  });

  it('keeps a backoff after timeouts until a clean sample, capped', () => {
    const rtt = new RttEstimator(100);
    rtt.sample(100);
    const base = rtt.rtoMs;
    rtt.backoff();
    rtt.backoff();
    expect(rtt.rtoMs).toBeCloseTo(base * 2.25);
    for (let i = 0; i < 50; i++) rtt.backoff();
    expect(rtt.rtoMs).toBe(8000);
    rtt.sample(100);
    expect(rtt.rtoMs).toBeLessThan(base * 2);
  });
});
