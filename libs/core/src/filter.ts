import { createRequire } from 'node:module';
import type { FilterConfig } from './config/schema';
import type { SourceEntry } from './source';

type Picomatch = typeof import('picomatch');
let loaded: Picomatch | undefined;
/**
 * picomatch is loaded at the first filter that needs it: it costs each thread about 15 ms of CPU
 * to load, and the agent starts 16 threads (and the CLI one) where most routes keep the default filter.
 */
function picomatch(): Picomatch {
  loaded ??= createRequire(import.meta.url)('picomatch') as Picomatch;
  return loaded;
}

const LINE_TERMINATOR = /[\r\n\u2028\u2029]/;
/**
 * Paths that the default filter (`**` + `/*`, dot files included) surely takes: picomatch's `.` does
 * not match a line terminator, and no glob matches a `.` or `..` segment. Anything else is asked of
 * picomatch, so the answer is picomatch's in every case (filter.spec.ts compares them).
 */
function plainPath(path: string): boolean {
  return path.length > 0 && !LINE_TERMINATOR.test(path) && !path.split('/').some((s) => s === '.' || s === '..');
}

function globMatcher(globs: readonly string[]): (path: string) => boolean {
  if (globs.length !== 1 || globs[0] !== '**/*') return picomatch()([...globs], { dot: true });
  let full: ((path: string) => boolean) | undefined;
  return (path) => plainPath(path) || (full ??= picomatch()('**/*', { dot: true }))(path);
}

/** Compiles a route filter once; the returned predicate is called for every listed entry. */
export function compileFilter(filter: FilterConfig): (entry: SourceEntry, nowMs: number) => boolean {
  const include = globMatcher(filter.include);
  const exclude = filter.exclude.length > 0 ? globMatcher(filter.exclude) : () => false;
  return (entry, nowMs) => {
    if (!include(entry.path) || exclude(entry.path)) return false;
    if (filter.minSize !== undefined && entry.size < filter.minSize) return false;
    if (filter.maxSize !== undefined && entry.size > filter.maxSize) return false;
    const ageSec = (nowMs - entry.mtimeMs) / 1000;
    if (filter.minAgeSec !== undefined && ageSec < filter.minAgeSec) return false;
    if (filter.maxAgeSec !== undefined && ageSec > filter.maxAgeSec) return false;
    return true;
  };
}
