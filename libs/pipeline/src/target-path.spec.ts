import { describe, expect, it } from 'vitest';
import { targetPathOf } from './target-path';

describe('target paths', () => {
  it('puts each source under its own folder, made safe for any server', () => {
    expect(targetPathOf('{source}/{path}', 'flir:1234-ABCD', 'DCIM/a.jpg')).toBe('flir_1234-ABCD/DCIM/a.jpg');
    expect(targetPathOf('logs/{name}', 'px4', 'log/2026-11-20/10_31_07.ulg')).toBe('logs/10_31_07.ulg');
    expect(targetPathOf('/{path}', 'x', 'a/b')).toBe('a/b');
  });
});
