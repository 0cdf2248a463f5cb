import { renderTemplate, vehicleName } from '@filesync/core';

/** What a target path is made from: the file's source, path and (for {date}) mtime, and this vehicle's name. */
export interface TargetPathFields {
  readonly sourceId: string;
  readonly path: string;
  readonly mtimeMs?: number;
}

/**
 * Where a source file lands on a target: `{source}/{path}` by default, so two cards (two source ids,
 * each with its volume UUID) with the same file names never meet at one name; fleets add `{vehicle}`
 * so many vehicles share a bucket. Placeholders are checked by the config schema (`templateProblems`).
 */
export function targetPathOf(template: string, sourceId: string, path: string, extra: { vehicle?: string; mtimeMs?: number } = {}): string {
  if (template.includes('{date}') && extra.mtimeMs === undefined) throw new Error(`targetPathOf: {date} needs the file's mtime (${sourceId}:${path})`);
  return renderTemplate(template, {
    sourceId,
    path,
    mtimeMs: extra.mtimeMs ?? 0,
    // Resolved only when asked for: a host name that cannot name a vehicle matters only to templates using it.
    vehicle: template.includes('{vehicle}') ? (extra.vehicle ?? vehicleName(undefined)) : '',
  });
}
