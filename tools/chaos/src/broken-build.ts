// `npm run chaos:broken -- --broken NAME|all [--rounds N] [--seed N] [--unpatched] [--keep] [--verbose]`
// Runs a deliberately broken build (tools/chaos/broken-builds/NAME.patch) against the scenario named in
// its header and says whether the scenario caught it. Progress goes to stderr; stdout gets one JSON line
// per build, and nothing after the last.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BrokenBuild, type BrokenWorktree, CHAOS_REPO_ROOT, brokenBuildNamed, listBrokenBuilds, prepareWorktree } from './broken-worktree';
import { readJournal } from './journal';
import { roundPassed } from './round';
import { type ChaosSummary, summarize } from './summary';
import { onStopSignal } from './stop-signal';

const USAGE = `usage: npm run chaos:broken -- --broken NAME|all [--rounds N] [--seed N] [--unpatched] [--keep] [--verbose]
       npm run chaos:broken -- --list
  --broken NAME   a patch in tools/chaos/broken-builds (without .patch), a comma-separated list, or all
  --rounds N      rounds of the patch's scenario (default 3); round i uses seed N+i
  --seed N        first round's seed (default 1)
  --unpatched     the control: the same worktree, scenario and seeds without the patch
  --keep          keep each round's temp directory (the worktree is always removed)
  --verbose       the chaos runner's fault log`;

/** One line per build on stdout. */
export interface BrokenBuildReport {
  readonly broken: string;
  readonly scenario: string;
  readonly patched: boolean;
  /** The commit the worktree was made from. */
  readonly head: string;
  readonly seed: number;
  /** Rounds the chaos runner finished (fewer than asked if it died). */
  readonly rounds: number;
  /** The chaos runner's exit code: 0 every round passed, 1 some failed, anything else it broke down. */
  readonly runnerExit: number | null;
  /**
   * Rounds that failed on something other than the known agent issues (README "Findings"): a round that
   * failed only on those would fail on the unpatched build too, so it does not count as catching the patch.
   */
  readonly failedRounds: number;
  readonly failedSeeds: readonly number[];
  /** Rounds that failed only on known issues. */
  readonly knownIssueRounds: number;
  /** Patched: at least one failed round. Unpatched: every round passed. */
  readonly caught: boolean;
  readonly figures: Pick<
    ChaosSummary,
    'faults' | 'files' | 'lost' | 'corrupt' | 'restartedFromZero' | 'removedEarly' | 'duplicates' | 'leftoverParts' | 'catalogMismatch' | 'timedOut' | 'downloadResets' | 'uploadResets' | 'excusedRestarts'
  > & { readonly agentExitNotClean: number };
  /** Each failed round's first problem line of each kind (up to 3), as the round reported them. */
  readonly problems: readonly string[];
  readonly seconds: number;
}

function int(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number ≥ 0, got "${text}"`);
  return n;
}

/** The first problem line of each kind (`lost:`, `catalog:`, …), at most `n`: one line says more than ten of a kind. */
function firstOfEachKind(problems: readonly string[], n: number): string[] {
  const kinds = new Set<string>();
  const out: string[] = [];
  for (const p of problems) {
    const kind = p.slice(0, p.indexOf(':') + 1) || p;
    if (kinds.has(kind)) continue;
    kinds.add(kind);
    out.push(p.length > 400 ? `${p.slice(0, 400)}…` : p);
    if (out.length >= n) break;
  }
  return out;
}

const RUN_TS = join(CHAOS_REPO_ROOT, 'tools/chaos/src/run.ts');
const running: { child?: ReturnType<typeof spawn> | undefined; worktree?: BrokenWorktree | undefined } = {};

/** The chaos runner as a child (its own rounds, campaign and journal), the agent from the worktree. */
function runScenario(args: readonly string[], verbose: boolean): Promise<{ code: number | null }> {
  return new Promise((resolve, reject) => {
    // Its summary line goes to stderr with its progress: stdout is this runner's own lines.
    const child = spawn(process.execPath, ['--import', 'tsx', RUN_TS, ...args, ...(verbose ? ['--verbose'] : [])], {
      cwd: CHAOS_REPO_ROOT,
      stdio: ['ignore', process.stderr, 'inherit'],
    });
    running.child = child;
    child.once('error', reject);
    child.once('exit', (code) => {
      running.child = undefined;
      resolve({ code });
    });
  });
}

async function runBroken(build: BrokenBuild, options: { seed: number; rounds: number; patched: boolean; keep: boolean; verbose: boolean }): Promise<BrokenBuildReport> {
  const startedAt = Date.now();
  const worktree = prepareWorktree(options.patched ? build : undefined);
  running.worktree = worktree;
  try {
    console.error(`chaos:broken ${build.name} (${options.patched ? 'patched' : 'unpatched control'}) from ${worktree.head} in ${worktree.tree}: ${build.summary}`);
    const journal = join(worktree.tree, '..', 'journal.jsonl');
    const { code } = await runScenario(
      ['--scenario', build.scenario, '--seed', String(options.seed), '--rounds', String(options.rounds), '--agent-root', worktree.tree, '--journal', journal, ...(options.keep ? ['--keep'] : [])],
      options.verbose,
    );
    // From the journal, not the runner's closing line: a runner that died mid-run still leaves its rounds.
    const results = readJournal(journal)?.done ?? [];
    const summary = summarize(build.scenario, results, (Date.now() - startedAt) / 1000);
    if (code !== 0 && code !== 1) console.error(`chaos:broken: the chaos runner exited ${code} after ${results.length} round(s); reporting those`);
    const failed = results.filter((r) => !roundPassed(r, true));
    const knownOnly = results.filter((r) => roundPassed(r, true) && !roundPassed(r));
    return {
      broken: build.name,
      scenario: build.scenario,
      patched: options.patched,
      head: worktree.head,
      seed: options.seed,
      rounds: results.length,
      runnerExit: code,
      failedRounds: failed.length,
      failedSeeds: failed.map((r) => r.seed),
      knownIssueRounds: knownOnly.length,
      caught: options.patched ? failed.length > 0 : failed.length === 0 && results.length > 0,
      figures: {
        faults: summary.faults,
        files: summary.files,
        lost: summary.lost,
        corrupt: summary.corrupt,
        restartedFromZero: summary.restartedFromZero,
        removedEarly: summary.removedEarly,
        duplicates: summary.duplicates,
        leftoverParts: summary.leftoverParts,
        catalogMismatch: summary.catalogMismatch,
        timedOut: summary.timedOut,
        downloadResets: summary.downloadResets,
        uploadResets: summary.uploadResets,
        excusedRestarts: summary.excusedRestarts,
        agentExitNotClean: results.filter((r) => r.agentExit !== 'clean' && r.agentExit !== 'running').length,
      },
      problems: failed.flatMap((r) => firstOfEachKind(r.problems, 3).map((p) => `seed ${r.seed}: ${p}`)),
      seconds: Math.round((Date.now() - startedAt) / 1000),
    };
  } finally {
    running.worktree = undefined;
    worktree.remove();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      broken: { type: 'string' },
      rounds: { type: 'string' },
      seed: { type: 'string' },
      unpatched: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  if (values.list) {
    for (const b of listBrokenBuilds()) console.error(`${b.name} (${b.scenario}): ${b.summary}`);
    return 0;
  }
  if (values.broken === undefined) {
    console.error(USAGE);
    return 2;
  }
  const builds = values.broken === 'all' ? listBrokenBuilds() : values.broken.split(',').map((n) => brokenBuildNamed(n.trim()));
  const options = { seed: int(values.seed, 'seed', 1), rounds: int(values.rounds, 'rounds', 3), patched: !values.unpatched, keep: values.keep, verbose: values.verbose };
  let allCaught = true;
  // One build at a time: a round already starts an agent and up to four simulators.
  for (const build of builds) {
    const report = await runBroken(build, options);
    allCaught &&= report.caught;
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
  return allCaught ? 0 : 1;
}

onStopSignal((signal) => {
  console.error(`chaos:broken: ${signal}; stopping the chaos runner and removing the worktree`);
  const { child, worktree } = running;
  const done = (): void => {
    worktree?.remove();
    process.exit(130);
  };
  if (child && child.exitCode === null) {
    child.once('exit', done);
    child.kill('SIGINT');
  } else done();
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`chaos:broken: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  },
);
