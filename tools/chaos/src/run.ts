// `npm run chaos -- [--scenario NAME|all] [--seed N] [--rounds N] [--minutes M] [--journal FILE] [--keep] [--agent-root DIR] [--verbose]`
// `npm run chaos -- --report FILE`: the summary of a journal's rounds so far, running none.
// Progress goes to stderr; the last line on stdout is the one JSON summary.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type RoundResult, cleanupLiveWorlds, roundPassed, runRound } from './round';
import { runCampaign } from './campaign';
import { onStopSignal } from './stop-signal';
import { openJournal, readJournal } from './journal';
import { SCENARIOS, scenarioNamed } from './scenarios/index';
import { summarize } from './summary';

const USAGE = `usage: npm run chaos -- [--scenario NAME|all] [--seed N] [--rounds N] [--minutes M] [--journal FILE] [--keep] [--agent-root DIR] [--verbose]
       npm run chaos -- --report FILE
  scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}
  --seed N        first round's seed (round i uses N+i); default: from the clock, printed
  --rounds N      rounds per scenario (default 1)
  --minutes M     start no new round after M minutes
  --journal FILE  append each round to FILE; run again with the same FILE to go on where it stopped
                  (one scenario only; the summary covers every round in FILE)
  --agent-root    run the agent from another checkout (e.g. a deliberately broken build)
  --keep          keep each round's temp directory
  --report FILE   print the summary line of the rounds in journal FILE (a run under way, or cut short), run none`;

function int(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number ≥ 0, got "${text}"`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'all' },
      seed: { type: 'string' },
      rounds: { type: 'string' },
      minutes: { type: 'string' },
      'agent-root': { type: 'string' },
      journal: { type: 'string' },
      report: { type: 'string' },
      keep: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  if (values.report !== undefined) return reportJournal(values.report);
  const scenarios = values.scenario === 'all' ? SCENARIOS : [scenarioNamed(values.scenario)];
  let seed = int(values.seed, 'seed', Date.now() % 1_000_000);
  const rounds = int(values.rounds, 'rounds', 1);
  if (values.journal !== undefined && scenarios.length !== 1) throw new Error('--journal needs one --scenario');
  const journal = values.journal === undefined ? undefined : openJournal(values.journal, { scenario: scenarios[0]!.name, seed, rounds });
  if (journal) seed = journal.header.seed;
  const firstRound = journal?.done.length ?? 0;
  const stopAt = values.minutes === undefined ? Infinity : Date.now() + Number(values.minutes) * 60_000;
  const startedAt = Date.now();
  const results: RoundResult[] = [...(journal?.done ?? [])];
  const earlierSeconds = results.reduce((n, r) => n + r.seconds, 0);
  const log = (line: string): void => {
    if (values.verbose) console.error(`  ${line}`);
  };
  console.error(`chaos: ${scenarios.map((s) => s.name).join(', ')}; seed ${seed}; ${rounds} round(s) each${firstRound > 0 ? `; ${firstRound} already in ${values.journal}` : ''}`);
  const report = (r: RoundResult): void => {
    results.push(r);
    journal?.append(r);
    const { problems, ...figures } = r;
    console.error(`${roundPassed(r) ? 'ok  ' : 'FAIL'} ${JSON.stringify(figures)}`);
    for (const p of problems) console.error(`     ${p}`);
  };
  const agentRoot = values['agent-root'] ? { agentRoot: resolve(values['agent-root']) } : {};
  // power-loss runs as a campaign: one drone, many flights, a cut in each (see campaign.ts).
  if (scenarios.some((s) => s.name === 'power-loss')) {
    await runCampaign({ seed, rounds, firstRound, stopAt, keep: values.keep, log, onRound: report, ...agentRoot });
  }
  for (let i = firstRound; i < rounds && Date.now() < stopAt; i++) {
    for (const scenario of scenarios.filter((s) => s.name !== 'power-loss')) {
      if (Date.now() >= stopAt) break;
      report(await runRound(scenario, { seed: seed + i, keep: values.keep, log, ...agentRoot }));
    }
  }
  const summary = summarize(scenarios.length === 1 ? scenarios[0]!.name : 'all', results, earlierSeconds + (Date.now() - startedAt) / 1000);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return summary.failedRounds === 0 && results.length > 0 ? 0 : 1;
}

/** The summary of a journal's rounds, as the run would print it at the end; exit 0 only if every round so far passed. */
function reportJournal(file: string): number {
  const journal = readJournal(file);
  if (!journal) throw new Error(`${file}: no such journal`);
  const { header, done } = journal;
  console.error(`chaos: ${file}: ${header.scenario}, seed ${header.seed}: ${done.length} of ${header.rounds} round(s) run`);
  for (const r of done.filter((x) => !roundPassed(x))) console.error(`FAIL seed ${r.seed}: ${r.problems.join(' | ')}`);
  const summary = summarize(header.scenario, done, done.reduce((n, r) => n + r.seconds, 0));
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return summary.failedRounds === 0 && done.length > 0 ? 0 : 1;
}

onStopSignal((signal) => {
  console.error(`chaos: ${signal}; stopping the agent and the simulators`);
  void cleanupLiveWorlds().finally(() => process.exit(130));
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`chaos: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  },
);
