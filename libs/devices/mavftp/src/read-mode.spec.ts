import { describe, expect, it } from 'vitest';
import { PLAIN_TRIAL_MAX_RTT_MS, ReadModePicker } from './read-mode';

describe('ReadModePicker', () => {
  it('on a fast link measures both modes, then keeps the faster one and re-measures the other now and then', () => {
    const picker = new ReadModePicker(true);
    expect(picker.next(0.3)).toBe('burst');
    picker.record('burst', 40_000, 50); // 0.8 MB/s
    expect(picker.next(0.3)).toBe('plain');
    picker.record('plain', 192_000, 60); // 3.2 MB/s
    const modes = Array.from({ length: 50 }, () => picker.next(0.3));
    expect(modes.filter((m) => m === 'plain').length).toBeGreaterThanOrEqual(47);
    expect(modes).toContain('burst');
  });

  it('marks a mode as on trial until it has measured faster than the other', () => {
    const picker = new ReadModePicker(true);
    expect(picker.isTrial('burst')).toBe(true);
    picker.record('burst', 40_000, 50);
    expect(picker.isTrial('plain')).toBe(true);
    picker.record('plain', 40_000, 20);
    expect(picker.isTrial('plain')).toBe(false);
    expect(picker.isTrial('burst')).toBe(true);
  });

  it('keeps bursting when the burst is faster', () => {
    const picker = new ReadModePicker(true);
    picker.record('burst', 36_000, 400); // a 921600-baud UART: ~90 kB/s
    expect(picker.next(5)).toBe('plain');
    picker.record('plain', 36_000, 600);
    const modes = Array.from({ length: 50 }, () => picker.next(5));
    expect(modes.filter((m) => m === 'burst').length).toBeGreaterThanOrEqual(47);
  });

  it('never tries plain reads on a radio (long round trip) or before a round trip was measured', () => {
    const picker = new ReadModePicker(true);
    picker.record('burst', 36_000, 6000);
    expect(picker.next(undefined)).toBe('burst');
    for (let i = 0; i < 100; i++) expect(picker.next(PLAIN_TRIAL_MAX_RTT_MS + 1)).toBe('burst');
  });

  it('bursts only when plain reads are configured off (plainWindow 0)', () => {
    const picker = new ReadModePicker(true, false);
    picker.record('burst', 1000, 1000);
    for (let i = 0; i < 100; i++) expect(picker.next(0.1)).toBe('burst');
  });

  it('reads plain only when bursts are configured off', () => {
    const picker = new ReadModePicker(false);
    expect(picker.next(undefined)).toBe('plain');
    expect(picker.next(100)).toBe('plain');
  });

  it('weighs each chunk by its bytes: one short burst chunk that met a stall does not hand a lossy UART to slower plain reads', () => {
    // 921600 baud, 2 % loss: bursts ≈ 78 kB/s, plain trial ≈ 61 kB/s.
    const picker = new ReadModePicker(true);
    expect(picker.next(10)).toBe('burst');
    picker.record('burst', 35_133, 450);
    expect(picker.next(10)).toBe('plain');
    picker.record('plain', 40_960, 672);
    for (let i = 0; i < 5; i++) {
      expect(picker.next(10)).toBe('burst');
      picker.record('burst', 35_133, 450);
    }
    // A lost request and a ReadFile fill: 7.6 kB in 197 ms (39 kB/s).
    picker.record('burst', 7_648, 197);
    expect(picker.next(10)).toBe('burst');
  });

  it('re-measures a mode that keeps losing clearly less and less often, and at the base interval again once it comes close', () => {
    const picker = new ReadModePicker(true);
    picker.next(10);
    picker.record('burst', 35_000, 450);
    picker.next(10);
    picker.record('plain', 40_000, 800); // 0.65 of the burst's rate
    const trialsIn = (chunks: number, plainMs: number): number => {
      let trials = 0;
      for (let i = 0; i < chunks; i++) {
        const mode = picker.next(10);
        if (mode === 'plain') trials++;
        picker.record(mode, mode === 'plain' ? 40_000 : 35_000, mode === 'plain' ? plainMs : 450);
      }
      return trials;
    };
    // Every 24 chunks this would be 8 trials, each a chunk at 0.65 of the link's best rate.
    expect(trialsIn(200, 800)).toBeLessThanOrEqual(4);
    // The link changed: plain reads now come close, so once seen they are measured at the base interval.
    trialsIn(150, 520);
    expect(trialsIn(100, 520)).toBeGreaterThanOrEqual(3);
  });
});
