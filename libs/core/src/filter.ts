import picomatch from 'picomatch';
import type { FilterConfig } from './config/schema';
import type { SourceEntry } from './source';

/** Compiles a route filter once; the returned predicate is called for every listed entry. */
export function compileFilter(filter: FilterConfig): (entry: SourceEntry, nowMs: number) => boolean {
  const include = picomatch(filter.include, { dot: true });
  const exclude = filter.exclude.length > 0 ? picomatch(filter.exclude, { dot: true }) : () => false;
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
