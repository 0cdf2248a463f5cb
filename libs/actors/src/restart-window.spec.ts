import { ManualClock } from '@filesync/core';
import { describe, expect, it } from 'vitest';
import { RestartWindow } from './restart-window';

describe('RestartWindow', () => {
  it('allows `intensity` restarts within the period and refuses the next one', () => {
    const clock = new ManualClock();
    const window = new RestartWindow(3, 1_000);
    for (let i = 0; i < 3; i++) {
      expect(window.add(clock.monotonic())).toBe(true);
      clock.advance(100);
    }
    expect(window.add(clock.monotonic())).toBe(false);
  });

  it('forgets restarts older than the period, so a slow crash rate never gives up', () => {
    const clock = new ManualClock();
    const window = new RestartWindow(2, 1_000);
    for (let i = 0; i < 20; i++) {
      expect(window.add(clock.monotonic())).toBe(true);
      clock.advance(600);
    }
    expect(window.count(clock.monotonic())).toBeLessThanOrEqual(2);
  });

  it('gives up at the first restart when intensity is 0', () => {
    expect(new RestartWindow(0, 1_000).add(0)).toBe(false);
  });
});
