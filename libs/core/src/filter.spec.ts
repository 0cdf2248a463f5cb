import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import type { FilterConfig } from './config/schema';
import { compileFilter } from './filter';

const DEFAULT: FilterConfig = { include: ['**/*'], exclude: [] };
const accepts = (filter: FilterConfig, path: string): boolean => compileFilter(filter)({ path, size: 1, mtimeMs: 0 }, 0);

/** Every string of up to `length` characters of `alphabet` (the characters a glob or a path treats specially). */
function paths(alphabet: readonly string[], length: number): string[] {
  const all = [''];
  let last = [''];
  for (let i = 0; i < length; i++) {
    last = last.flatMap((p) => alphabet.map((c) => p + c));
    all.push(...last);
  }
  return all;
}

describe('compileFilter', () => {
  it('takes with the default filter exactly the paths picomatch takes, though it does not ask picomatch for plain ones', () => {
    const glob = picomatch('**/*', { dot: true });
    const alphabet = ['a', '.', '/', '\n', '\u2028', '*', '[', '!', '\\', ' '];
    const differ: string[] = [];
    for (const path of paths(alphabet, 4)) if (accepts(DEFAULT, path) !== glob(path)) differ.push(path);
    expect(differ).toEqual([]);
    expect(['a.bin', '.hidden', 'a/.b/c', 'log/2026-12-07 10:00.ulg'].map((p) => accepts(DEFAULT, p))).toEqual([true, true, true, true]);
    expect(['', '.', '..', 'a/../b', './a', '\n'].map((p) => accepts(DEFAULT, p))).toEqual([false, false, false, false, false, false]);
  });

  it('matches other globs with picomatch, dot files included', () => {
    const filter: FilterConfig = { include: ['**/*.ulg', 'img/*'], exclude: ['**/tmp/**'] };
    expect(['a/b.ulg', '.x.ulg', 'img/1.jpg', 'a/tmp/b.ulg', 'img/a/1.jpg', 'b.txt'].map((p) => accepts(filter, p))).toEqual([true, true, true, false, false, false]);
  });
});
