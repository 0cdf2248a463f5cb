import type { RouteConfig } from '@filesync/core/config';

/**
 * Each route's id, in config order: `source~target1,target2` (what it moves, readable in a URL), with
 * `~2`, `~3`… added to later routes of the same source and targets (they differ in their filters).
 * Derived from the content rather than the position, so a paused route stays the same route when
 * others are added or reordered in the config.
 */
export function routeIds(routes: readonly Pick<RouteConfig, 'source' | 'targets'>[]): string[] {
  const seen = new Map<string, number>();
  return routes.map((r) => {
    const base = `${r.source}~${r.targets.join(',')}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}~${n}`;
  });
}
