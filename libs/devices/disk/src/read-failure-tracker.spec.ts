import { describe, expect, it } from 'vitest';
import type { ErrorData } from '@filesync/core';
import { ReadFailureTracker } from './read-failure-tracker';

const eio: ErrorData = { kind: 'transient', code: 'corrupt', message: 'EIO', detail: { errno: 'EIO' } };
const enodev: ErrorData = { kind: 'transient', code: 'corrupt', message: 'ENODEV', detail: { errno: 'ENODEV' } };

describe('ReadFailureTracker', () => {
  it('gives a file up after the same failure N times, leaving other files alone', () => {
    const t = new ReadFailureTracker(3);
    expect(t.record('s', 'a.jpg', 4096, eio).failed).toBe(false);
    expect(t.record('s', 'b.jpg', 0, eio).attempts).toBe(1);
    expect(t.record('s', 'a.jpg', 4096, eio).failed).toBe(false);
    const third = t.record('s', 'a.jpg', 4096, eio);
    expect(third).toMatchObject({ attempts: 3, failed: true, path: 'a.jpg', offset: 4096 });
    expect(t.get('s', 'b.jpg')).toMatchObject({ attempts: 1, failed: false });
  });

  it('starts again when the failure differs in place or kind', () => {
    const t = new ReadFailureTracker(2);
    t.record('s', 'a.jpg', 0, eio);
    expect(t.record('s', 'a.jpg', 8192, eio).attempts).toBe(1);
    expect(t.record('s', 'a.jpg', 8192, enodev).attempts).toBe(1);
    expect(t.record('s', 'a.jpg', 8192, enodev).failed).toBe(true);
  });

  it('forgets a file once it was read to the end, and keeps sources apart', () => {
    const t = new ReadFailureTracker(2);
    t.record('card-1', 'a.jpg', 0, eio);
    t.record('card-2', 'a.jpg', 0, eio);
    t.clear('card-1', 'a.jpg');
    expect(t.get('card-1', 'a.jpg')).toBeUndefined();
    expect(t.failures()).toHaveLength(1);
    expect(t.record('card-1', 'a.jpg', 0, eio).attempts).toBe(1);
  });

  it('refuses a limit below one', () => {
    expect(() => new ReadFailureTracker(0)).toThrow(RangeError);
  });
});
