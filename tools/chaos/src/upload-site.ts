import { control } from './control';
import { FLIGHT_REVIEW, type ChaosWorld } from './world';

/** What the checks need of a log the Flight Review simulator stored. */
interface StoredLog {
  readonly sha256: string;
  readonly fileName: string;
}

/**
 * The logs on the Flight Review simulator, counted by content: sha256 → copies. An upload site names a
 * log itself, so content is the only way to match it to a source file. Undefined if the site has no
 * simulator in this world or it does not answer.
 */
export async function flightReviewCopies(world: ChaosWorld): Promise<Map<string, number> | undefined> {
  if (!world.sims.has(FLIGHT_REVIEW)) return undefined;
  const logs = await control<StoredLog[]>(world.controlUrl(FLIGHT_REVIEW), 'GET', '/logs').catch(() => undefined);
  if (!logs) return undefined;
  const copies = new Map<string, number>();
  for (const log of logs) copies.set(log.sha256, (copies.get(log.sha256) ?? 0) + 1);
  return copies;
}
