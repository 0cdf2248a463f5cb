import type { CliIo } from '../cli-io';
import { loadConfigFile } from '../config-file';
import { agentRunning } from '../agent-running';
import { nonZeroCounts } from '../count-line';
import { TransferRate } from '../metrics/transfer-rate';
import { watchFrame } from '../watch/watch-frame';
import { withCatalog } from './catalog-access';

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
    io.out(`files: ${nonZeroCounts(counts.files)}`);
    for (const [source, c] of Object.entries(counts.bySource)) io.out(`source ${source}: ${nonZeroCounts(c)}`);
    for (const [target, c] of Object.entries(counts.byTarget)) io.out(`target ${target}: ${nonZeroCounts(c)}`);
    // A pause outlives restarts (it is in the catalog): say so, or a held route looks like a stuck one.
    const paused = catalog.pausedRoutes();
    if (paused.length > 0) io.out(`paused routes (resume on the status page): ${paused.join(', ')}`);
    if (lastRepair) io.out(`catalog repaired at ${new Date(lastRepair.at).toISOString()}: ${lastRepair.reason} (${lastRepair.action})`);
    return 0;
  });
}

/** Rates span this much of the recent past: long enough to smooth a checkpoint, short enough to show a stall. */
const WATCH_RATE_WINDOW_MS = 10_000;

/**
 * `filesync status --watch`: a live view redrawn every `intervalSec` (progress bars with rate and ETA,
 * device health, counts) until interrupted, or for `frames` frames. On a terminal each frame replaces
 * the last; elsewhere (a log, a pipe) a frame is printed only when it differs from the one before.
 */
export async function statusWatch(
  configOption: string | undefined,
  options: { intervalSec: number; frames?: number; redraw?: (lines: readonly string[], previous: number) => void },
  io: CliIo,
): Promise<number> {
  const { file, config } = loadConfigFile(configOption);
  const rates = new TransferRate(WATCH_RATE_WINDOW_MS);
  return withCatalog(config, async (catalog) => {
    let previous: string[] = [];
    for (let frame = 0; options.frames === undefined || frame < options.frames; frame++) {
      if (frame > 0) await new Promise((r) => setTimeout(r, options.intervalSec * 1000));
      const agent = await agentRunning(config, file);
      const lines = watchFrame(catalog, agent.why, agent.status, rates);
      if (options.redraw) options.redraw(lines, previous.length);
      else if (lines.join('\n') !== previous.join('\n')) {
        io.out(`— ${new Date().toISOString()}`);
        for (const line of lines) io.out(line);
      }
      previous = lines;
    }
    return 0;
  });
}
