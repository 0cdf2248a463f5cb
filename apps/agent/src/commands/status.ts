import type { CliIo } from '../cli-io';
import { withCatalog } from './catalog-access';

const nonZero = (counts: Readonly<Record<string, number>>): string =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ') || 'none';

/** `filesync status`: counts per state, per source and per target, read from the live catalog. */
export function status(configOption: string | undefined, json: boolean, io: CliIo): Promise<number> {
  return withCatalog(configOption, (catalog) => {
    const counts = catalog.counts();
    const lastRepair = catalog.lastRepair();
    if (json) {
      io.out(JSON.stringify({ ...counts, lastRepair: lastRepair ?? null }));
      return 0;
    }
    io.out(`files: ${nonZero(counts.files)}`);
    for (const [source, c] of Object.entries(counts.bySource)) io.out(`source ${source}: ${nonZero(c)}`);
    for (const [target, c] of Object.entries(counts.byTarget)) io.out(`target ${target}: ${nonZero(c)}`);
    if (lastRepair) io.out(`catalog repaired at ${new Date(lastRepair.at).toISOString()}: ${lastRepair.reason} (${lastRepair.action})`);
    return 0;
  });
}
