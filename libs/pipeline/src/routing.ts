import { compileFilter, configIdOfSource, vehicleName } from '@filesync/core';
import type { RouteConfig } from '@filesync/core/config';
import type { FileRecord } from '@filesync/store';
import { routeIds } from './route-id';
import { type TargetPathFields, targetPathOf } from './target-path';

/** The route table, asked per file: where it goes, under which name, and whether it is moved. */
/** Every lookup takes a catalog source id (`flir:UUID`) or a config id (`flir`); routes name config ids. */
export interface Routing {
  routesOf(sourceId: string): RouteConfig[];
  /** Target path of a file on a target: the template of the first route naming both. */
  targetPath(file: TargetPathFields, targetId: string): string;
  /** True when every route of the file's source that takes this file says `move`. */
  isMoved(file: Pick<FileRecord, 'sourceId' | 'path' | 'size' | 'mtimeMs'>): boolean;
  orderOf(sourceId: string): 'oldest-first' | 'newest-first';
  /** True when a route of the file's source that takes this file follows it while it grows (`followGrowing`). */
  follows(file: Pick<FileRecord, 'sourceId' | 'path' | 'size' | 'mtimeMs'>): boolean;
  /** True when every route that takes this file is in `paused` (by route id): no route wants it started now. */
  isHeld(file: Pick<FileRecord, 'sourceId' | 'path' | 'size' | 'mtimeMs'>, paused: ReadonlySet<string>): boolean;
}

/**
 * `vehicle`: the config's vehicle name; when a template uses {vehicle} and none is configured, the
 * host name is resolved here, so one that cannot name a vehicle stops the start with the field named.
 */
export function buildRouting(routes: readonly RouteConfig[], configuredVehicle?: string): Routing {
  const vehicle = routes.some((r) => r.targetPath.includes('{vehicle}')) ? vehicleName(configuredVehicle) : configuredVehicle;
  // Age filters say when to *take* a file; at removal time only path and size decide which routes took it.
  const ids = routeIds(routes);
  const takes = routes.map((r, i) => ({
    route: r,
    id: ids[i] ?? '',
    accepts: compileFilter({ ...r.filter, minAgeSec: undefined, maxAgeSec: undefined }),
  }));
  return {
    routesOf: (sourceId) => routes.filter((r) => r.source === configIdOfSource(sourceId)),
    targetPath(file, targetId) {
      const route = routes.find((r) => r.source === configIdOfSource(file.sourceId) && r.targets.includes(targetId));
      return targetPathOf(route?.targetPath ?? '{source}/{path}', file.sourceId, file.path, {
        ...(vehicle === undefined ? {} : { vehicle }),
        ...(file.mtimeMs === undefined ? {} : { mtimeMs: file.mtimeMs }),
      });
    },
    isMoved(file) {
      const taking = takes.filter((t) => t.route.source === configIdOfSource(file.sourceId) && t.accepts(file, 0));
      return taking.length > 0 && taking.every((t) => t.route.policy === 'move');
    },
    follows(file) {
      return takes.some((t) => t.route.followGrowing && t.route.source === configIdOfSource(file.sourceId) && t.accepts(file, 0));
    },
    isHeld(file, paused) {
      if (paused.size === 0) return false;
      const taking = takes.filter((t) => t.route.source === configIdOfSource(file.sourceId) && t.accepts(file, 0));
      return taking.length > 0 && taking.every((t) => paused.has(t.id));
    },
    orderOf(sourceId) {
      return routes.some((r) => r.source === configIdOfSource(sourceId) && r.order === 'newest-first') ? 'newest-first' : 'oldest-first';
    },
  };
}
