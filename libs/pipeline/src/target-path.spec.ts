import { describe, expect, it } from 'vitest';
import { targetPathOf } from './target-path';

describe('target paths', () => {
  it('puts each source under its own folder, made safe for any server', () => {
    expect(targetPathOf('{source}/{path}', 'flir:1234-ABCD', 'DCIM/a.jpg')).toBe('flir_1234-ABCD/DCIM/a.jpg');
    expect(targetPathOf('logs/{name}', 'px4', 'log/2026-11-20/10_31_07.ulg')).toBe('logs/10_31_07.ulg');
    expect(targetPathOf('/{path}', 'x', 'a/b')).toBe('a/b');
  });

  it('fleet layout: {vehicle} and {date} (the file’s mtime day, UTC, so a restart at midnight keeps the key)', () => {
    const mtimeMs = Date.UTC(2026, 11, 6, 23, 59, 59);
    expect(targetPathOf('{vehicle}/{source}/{date}/{path}', 'px4', 'log/1.ulg', { vehicle: 'drone-7', mtimeMs })).toBe('drone-7/px4/2026-12-06/log/1.ulg');
    // File names go in as they are: a hostile one is refused by the target, never rewritten here.
    expect(targetPathOf('{vehicle}/{path}', 'px4', '../x', { vehicle: 'v' })).toBe('v/../x');
  });
});
