import { describe, expect, it } from 'vitest';
import { ManualClock } from '@filesync/core';
import { Health } from './health';

const fault = { kind: 'transient', code: 'disconnected', message: 'connection refused' } as const;

describe('device health', () => {
  it('goes degraded, then down with its cause, backing off more each time', () => {
    const clock = new ManualClock();
    const health = new Health(clock, { initialMs: 100, maxMs: 10_000, factor: 2, jitter: 0 });
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      health.failed(fault);
      waits.push(health.waitMs());
    }
    expect(waits).toEqual([100, 200, 400, 800]);
    expect(health.snapshot.state).toBe('down');
    expect(health.snapshot.cause?.message).toBe('connection refused');
    expect(health.ready()).toBe(false);
    clock.advance(800);
    expect(health.ready()).toBe(true);
  });

  it('is up again, with no wait, at the first success', () => {
    const clock = new ManualClock();
    const health = new Health(clock, { initialMs: 100, maxMs: 10_000, factor: 2, jitter: 0 });
    for (let i = 0; i < 5; i++) health.failed(fault);
    health.succeeded();
    expect(health.snapshot).toMatchObject({ state: 'up', consecutiveFailures: 0, cause: undefined });
    expect(health.ready()).toBe(true);
  });

  it('honours a device-given retry time (Retry-After)', () => {
    const clock = new ManualClock();
    const health = new Health(clock);
    health.failed(fault, 5_000);
    expect(health.waitMs()).toBe(5_000);
  });

  it('shows a standing condition (a file failing, a wait for space) as degraded without backing off; the link\'s own faults come first', () => {
    const clock = new ManualClock();
    const health = new Health(clock, { initialMs: 100, maxMs: 10_000, factor: 2, jitter: 0 });
    const failing = { kind: 'transient', code: 'busy', message: 'log/01.ulg: OpenFileRO refused: Fail (attempt 1 of 5)' } as const;
    health.setCondition(failing);
    health.succeeded();
    expect(health.snapshot).toMatchObject({ state: 'degraded', cause: failing });
    expect(health.ready()).toBe(true);
    health.failed(fault);
    expect(health.snapshot).toMatchObject({ state: 'degraded', cause: fault });
    health.succeeded();
    expect(health.snapshot.cause).toEqual(failing);
    health.setCondition(undefined);
    expect(health.snapshot).toMatchObject({ state: 'up', cause: undefined });
  });
});
