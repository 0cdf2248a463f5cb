import type { ConfigProblem } from './load-types';

const idsOf = (list: unknown): unknown[] =>
  Array.isArray(list) ? list.map((item) => (typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined)) : [];

/**
 * Checks between fields (unique ids, routes naming existing devices). It reads raw JSON defensively,
 * so it still reports these problems when other fields fail the schema: one run shows every mistake.
 */
export function crossReferenceProblems(input: unknown): ConfigProblem[] {
  if (typeof input !== 'object' || input === null) return [];
  const raw = input as { sources?: unknown; targets?: unknown; routes?: unknown };
  const problems: ConfigProblem[] = [];
  for (const field of ['sources', 'targets'] as const) {
    const seen = new Set<unknown>();
    idsOf(raw[field]).forEach((id, i) => {
      if (typeof id !== 'string') return;
      if (seen.has(id)) problems.push({ path: `${field}[${i}].id`, message: `id "${id}" is used twice` });
      seen.add(id);
    });
  }
  const sourceIds = new Set(idsOf(raw.sources));
  const targetIds = new Set(idsOf(raw.targets));
  if (!Array.isArray(raw.routes)) return problems;
  raw.routes.forEach((route: unknown, i) => {
    if (typeof route !== 'object' || route === null) return;
    const { source, targets } = route as { source?: unknown; targets?: unknown };
    if (typeof source === 'string' && !sourceIds.has(source)) {
      problems.push({ path: `routes[${i}].source`, message: `no source has id "${source}"` });
    }
    if (!Array.isArray(targets)) return;
    targets.forEach((t: unknown, j) => {
      if (typeof t !== 'string') return;
      if (!targetIds.has(t)) problems.push({ path: `routes[${i}].targets[${j}]`, message: `no target has id "${t}"` });
      else if (targets.indexOf(t) !== j) problems.push({ path: `routes[${i}].targets[${j}]`, message: `target "${t}" is named twice` });
    });
  });
  return problems;
}
