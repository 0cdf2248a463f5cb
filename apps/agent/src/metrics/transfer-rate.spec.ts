import { describe, expect, it } from 'vitest';
import { ManualClock } from '@filesync/core';
import { TransferRate } from './transfer-rate';

const at = (entries: Record<string, number>): Map<string, number> => new Map(Object.entries(entries));

describe('TransferRate', () => {
  it('spans the last window, or the time since the previous reading when readings are further apart; a step back reads as 0', () => {
    const clock = new ManualClock();
    const rate = new TransferRate(60_000, clock);
    expect(rate.sample(at({ px4: 0 })).get('px4')).toBe(0);
    clock.advance(10_000);
    expect(rate.sample(at({ px4: 100_000 })).get('px4')).toBe(10_000);
    clock.advance(50_000);
    // 60 s since the first reading: 600 kB over 60 s.
    expect(rate.sample(at({ px4: 600_000 })).get('px4')).toBe(10_000);
    clock.advance(30_000);
    // The base is now the newest reading at least a window old (t = 10 s): 500 kB over 80 s.
    expect(rate.sample(at({ px4: 900_000 })).get('px4')).toBe(10_000);
    clock.advance(120_000);
    // Scrapes two minutes apart: the rate since the previous one.
    expect(rate.sample(at({ px4: 2_100_000 })).get('px4')).toBe(10_000);
    clock.advance(10_000);
    expect(rate.sample(at({ px4: 0 })).get('px4')).toBe(0);
  });

  it('forgets a device that is no longer reported (a drive pulled) and starts it afresh when it returns', () => {
    const clock = new ManualClock();
    const rate = new TransferRate(60_000, clock);
    rate.sample(at({ a: 0, b: 0 }));
    clock.advance(1_000);
    expect([...rate.sample(at({ a: 1_000 })).keys()]).toEqual(['a']);
    clock.advance(1_000);
    expect(rate.sample(at({ a: 2_000, b: 5_000 })).get('b')).toBe(0);
  });
});
