import { runChangingWorldRound } from '../changing-world/round';
import type { Scenario } from '../scenario';

/** Issue 17: the world changes under the agent and the targets lie (see changing-world/round.ts). */
export const changingWorld: Scenario = {
  name: 'changing-world',
  summary:
    'files rewritten under the same name, growing, replaced with the same size and mtime, swapped for FIFOs and symlinks; a captive portal answers Flight Review; the NAS holds older files of the same size',
  round: runChangingWorldRound,
};
