import type { CliIo } from '../cli-io';
import { loadConfigFile } from '../config-file';
import { agentRunning } from '../agent-running';
import { withCatalog } from './catalog-access';

const nonZero = (counts: Readonly<Record<string, number>>): string =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ') || 'none';

/** `filesync status`: whether the agent runs, then counts per state, per source and per target, read from the live catalog. */
export async function status(configOption: string | undefined, json: boolean, io: CliIo): Promise<number> {
  const { file, config } = loadConfigFile(configOption);
  const agent = await agentRunning(config, file);
  return withCatalog(config, (catalog) => {
    const counts = catalog.counts();
    const lastRepair = catalog.lastRepair();
    if (json) {
      io.out(JSON.stringify({ agent: { running: agent.running, url: agent.url }, ...counts, lastRepair: lastRepair ?? null }));
      return 0;
    }
    io.out(`agent: ${agent.why}`);
    io.out(`files: ${nonZero(counts.files)}`);
    for (const [source, c] of Object.entries(counts.bySource)) io.out(`source ${source}: ${nonZero(c)}`);
    for (const [target, c] of Object.entries(counts.byTarget)) io.out(`target ${target}: ${nonZero(c)}`);
    if (lastRepair) io.out(`catalog repaired at ${new Date(lastRepair.at).toISOString()}: ${lastRepair.reason} (${lastRepair.action})`);
    return 0;
  });
}
