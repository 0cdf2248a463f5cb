import { control } from './control';
import { FLIGHT_REVIEW, type ChaosWorld } from './world';

/** What the checks need of a log the Flight Review simulator stored. */
interface StoredLog {
  readonly sha256: string;
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

/** What the logs on an upload site say about one round. */
export interface SiteFindings {
  /** Names of the round's logs the site does not hold (all of them when it did not answer). */
  readonly missing: string[];
  /** sha256 of logs the site holds that no source file of the world ever had. */
  readonly unknown: string[];
  /** Copies of the round's logs beyond the first. */
  readonly secondCopies: number;
  /** Second copies beyond one a fault: more than a lost answer to a POST can explain. */
  readonly excess: number;
}

/**
 * Checks the site's logs (`copies`, from {@link flightReviewCopies}) against the round's logs
 * (`expected`, name → sha256) and every sha256 the world's sources had (`known`), for a round of `faults`.
 */
export function siteFindings(
  copies: ReadonlyMap<string, number> | undefined,
  expected: ReadonlyMap<string, string>,
  known: ReadonlySet<string>,
  faults: number,
): SiteFindings {
  const missing = [...expected].filter(([, sha]) => (copies?.get(sha) ?? 0) === 0).map(([name]) => name);
  const unknown = [...(copies?.keys() ?? [])].filter((sha) => !known.has(sha));
  const secondCopies = [...expected.values()].reduce((n, sha) => n + Math.max(0, (copies?.get(sha) ?? 0) - 1), 0);
  return { missing, unknown, secondCopies, excess: Math.max(0, secondCopies - faults) };
}
