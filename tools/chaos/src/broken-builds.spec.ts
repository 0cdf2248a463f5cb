import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHAOS_REPO_ROOT, listBrokenBuilds, parseBrokenBuild, patchProblem, prepareWorktree } from './broken-worktree';
import { SCENARIOS } from './scenarios/index';

// The broken builds are run by `npm run chaos:broken` (minutes each); here only what keeps them from
// rotting: each patch still applies to the tree as it is, and the runner's worktree runs the patched code.
const isGitCheckout = existsSync(join(CHAOS_REPO_ROOT, '.git'));

describe('broken builds', () => {
  const builds = listBrokenBuilds();

  it('has one for every scenario, each naming a scenario that exists', () => {
    const names = new Set(SCENARIOS.map((s) => s.name));
    for (const b of builds) expect(names.has(b.scenario), `${b.name}: scenario ${b.scenario}`).toBe(true);
    expect(new Set(builds.map((b) => b.scenario))).toEqual(names);
  });

  it('rejects a patch whose header does not name its scenario', () => {
    expect(() => parseBrokenBuild('x', 'x.patch', 'Broken build: y\nBreaks: z\n\ndiff --git a/f b/f\n')).toThrow(/Scenario:/);
  });

  it.skipIf(!isGitCheckout).each(builds.map((b) => [b.name, b] as const))('%s still applies to the current tree', (_name, build) => {
    expect(patchProblem(build)).toBeUndefined();
  });

  it.skipIf(!isGitCheckout)('makes a worktree that runs the patched code, and removes it', () => {
    const build = builds.find((b) => b.name === 'corrupt-state-repair-gives-up') ?? builds[0]!;
    const changed = /^\+\+\+ b\/(.+)$/m.exec(readFileSync(build.patchFile, 'utf8'))?.[1];
    expect(changed).toBeDefined();
    const worktree = prepareWorktree(build);
    try {
      // prepareWorktree already checked that every @filesync package resolves inside it.
      expect(readFileSync(join(worktree.tree, changed!), 'utf8')).not.toBe(readFileSync(join(CHAOS_REPO_ROOT, changed!), 'utf8'));
      expect(existsSync(join(worktree.tree, 'node_modules/tsx'))).toBe(true);
      expect(existsSync(join(worktree.tree, 'apps/agent/dist/filesync.js'))).toBe(true);
    } finally {
      worktree.remove();
    }
    expect(existsSync(worktree.tree)).toBe(false);
  });
});
