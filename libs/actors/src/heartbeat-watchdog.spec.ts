import { ManualClock } from '@filesync/core';
import { describe, expect, it } from 'vitest';
import { HeartbeatWatchdog } from './heartbeat-watchdog';

describe('HeartbeatWatchdog', () => {
  it('stays quiet while beats arrive and fires once after the timeout of silence', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const dog = new HeartbeatWatchdog(clock, 1_000, (silent) => fired.push(silent));
    for (let i = 0; i < 50; i++) {
      clock.advance(400);
      dog.beat();
    }
    expect(fired).toEqual([]);
    clock.advance(999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([1_000]);
    clock.advance(10_000);
    expect(fired).toHaveLength(1);
  });

  it('gives queued beats one more turn before declaring the child hung', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const dog = new HeartbeatWatchdog(clock, 1_000, (silent) => fired.push(silent));
    // The timer is due, but a beat is processed before the confirmation look.
    clock.setTimeout(() => dog.beat(), 1_000);
    clock.advance(1_000);
    expect(fired).toEqual([]);
  });

  it('never fires once stopped', () => {
    const clock = new ManualClock();
    let fired = false;
    const dog = new HeartbeatWatchdog(clock, 100, () => (fired = true));
    dog.stop();
    clock.advance(1_000);
    expect(fired).toBe(false);
    expect(clock.pending()).toBe(0);
  });
});
