import type { Scenario } from '../scenario';
import { powerLoss } from './power-loss';

/** Every scenario, in the order `--scenario all` and the spec run them. */
export const SCENARIOS: readonly Scenario[] = [powerLoss];

export function scenarioNamed(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario "${name}"; known: ${SCENARIOS.map((x) => x.name).join(', ')}`);
  return s;
}
