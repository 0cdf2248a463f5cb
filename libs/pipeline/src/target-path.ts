/**
 * Where a source file lands on a target: `{source}/{path}` by default, so two cards (two source ids,
 * each with its volume UUID) with the same file names never meet at one name.
 */
export function targetPathOf(template: string, sourceId: string, path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return template
    .replaceAll('{source}', sourceId.replace(/[^A-Za-z0-9._-]/g, '_'))
    .replaceAll('{path}', path)
    .replaceAll('{name}', name)
    .replace(/^\/+/, '');
}
