export { runRound, roundPassed, type RoundOptions, type RoundResult } from './round';
export { SCENARIOS, scenarioNamed } from './scenarios/index';
export { summarize, type ChaosSummary } from './summary';
export type { Scenario, ScenarioContext } from './scenario';
export { createRng, type Rng } from './prng';
