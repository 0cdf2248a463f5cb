import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this runner belongs to (its simulators and `run.ts` are used as they are). */
export const CHAOS_REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** `tools/chaos/broken-builds/<name>.patch`: one deliberately broken build each. */
export const BROKEN_BUILDS_DIR = fileURLToPath(new URL('../broken-builds/', import.meta.url));

/** A deliberately broken build: a `git diff` with a header naming the scenario that must catch it. */
export interface BrokenBuild {
  readonly name: string;
  readonly scenario: string;
  /** The header's first line ("Broken build: …"). */
  readonly summary: string;
  /** Which promise it breaks ("Breaks: …"). */
  readonly breaks: string;
  readonly patchFile: string;
}

/**
 * Reads a patch's header: the lines before its first `diff --git`, which `git apply` ignores.
 * `Broken build:`, `Scenario:` and `Breaks:` are required.
 */
export function parseBrokenBuild(name: string, patchFile: string, text: string): BrokenBuild {
  const start = text.indexOf('diff --git ');
  if (start < 0) throw new Error(`${patchFile}: no "diff --git" in it`);
  const header = text.slice(0, start);
  const field = (key: string): string => {
    const m = new RegExp(`^${key}:\\s*(.+)$`, 'm').exec(header);
    if (!m?.[1]) throw new Error(`${patchFile}: the header has no "${key}:" line`);
    return m[1].trim();
  };
  return { name, scenario: field('Scenario'), summary: field('Broken build'), breaks: field('Breaks'), patchFile };
}

export function listBrokenBuilds(dir = BROKEN_BUILDS_DIR): BrokenBuild[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.patch'))
    .sort()
    .map((f) => parseBrokenBuild(f.slice(0, -'.patch'.length), join(dir, f), readFileSync(join(dir, f), 'utf8')));
}

export function brokenBuildNamed(name: string, dir = BROKEN_BUILDS_DIR): BrokenBuild {
  const all = listBrokenBuilds(dir);
  const found = all.find((b) => b.name === name);
  if (!found) throw new Error(`no broken build "${name}"; known: ${all.map((b) => b.name).join(', ')}`);
  return found;
}

function git(cwd: string, args: readonly string[]): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${stderr.trim() || String(err)}`);
  }
}

/** `git apply --check` of the patch against `cwd`'s working tree; the reason when it does not apply. */
export function patchProblem(build: BrokenBuild, cwd = CHAOS_REPO_ROOT): string | undefined {
  try {
    git(cwd, ['apply', '--check', build.patchFile]);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The worktree has no `node_modules`: it gets one of symlinks to the checkout's entries, except the
 * workspace packages (`@filesync/*`), whose relative links are copied so they point into the worktree.
 * Linking the whole `node_modules` would resolve `@filesync/pipeline` to the checkout's own libs, and
 * the "broken" agent would run the unbroken code.
 */
export function linkNodeModules(repoRoot: string, tree: string): void {
  const from = join(repoRoot, 'node_modules');
  const to = join(tree, 'node_modules');
  mkdirSync(to);
  for (const entry of readdirSync(from)) {
    if (entry === '@filesync') continue;
    symlinkSync(join(from, entry), join(to, entry));
  }
  mkdirSync(join(to, '@filesync'));
  for (const pkg of readdirSync(join(from, '@filesync'))) {
    symlinkSync(readlinkSync(join(from, '@filesync', pkg)), join(to, '@filesync', pkg));
  }
}

const inside = (dir: string, path: string): boolean => {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
};

/**
 * Fails unless every workspace package, resolved as the agent resolves it (from `apps/agent`), is a
 * file of the worktree: the proof that the agent started with `--agent-root` runs the patched code.
 */
export function assertResolvesInside(tree: string): void {
  const req = createRequire(join(tree, 'apps/agent/package.json'));
  const real = realpathSync(tree);
  for (const pkg of readdirSync(join(tree, 'node_modules/@filesync'))) {
    let file: string;
    try {
      file = realpathSync(req.resolve(`@filesync/${pkg}`));
    } catch {
      // No main entry (the agent app, the simulators): where its folder really is.
      file = realpathSync(join(tree, 'node_modules/@filesync', pkg));
    }
    if (!inside(real, file)) throw new Error(`@filesync/${pkg} resolves to ${file}, outside the worktree ${real}`);
  }
}

export interface BrokenWorktree {
  /** The checkout to pass as `--agent-root`. */
  readonly tree: string;
  /** The commit it was made from. */
  readonly head: string;
  remove(): void;
}

/**
 * A temporary `git worktree` of HEAD with `build`'s patch applied (none: the unpatched control), its
 * `node_modules` linked, checked to resolve its own packages, and its agent built. `remove()` deletes it again.
 */
export function prepareWorktree(build: BrokenBuild | undefined, repoRoot = CHAOS_REPO_ROOT): BrokenWorktree {
  const dir = mkdtempSync(join(tmpdir(), 'fs-broken-'));
  const tree = join(dir, 'repo');
  let added = false;
  const remove = (): void => {
    if (added) {
      try {
        git(repoRoot, ['worktree', 'remove', '--force', tree]);
      } catch {
        // Removed below by hand; prune forgets its record.
      }
    }
    rmSync(dir, { recursive: true, force: true });
    if (added) git(repoRoot, ['worktree', 'prune']);
  };
  try {
    const head = git(repoRoot, ['rev-parse', '--short', 'HEAD']);
    git(repoRoot, ['worktree', 'add', '--detach', tree, head]);
    added = true;
    if (build) git(tree, ['apply', build.patchFile]);
    linkNodeModules(repoRoot, tree);
    assertResolvesInside(tree);
    // The agent runs built (apps/agent/bin/filesync.js loads dist/): build the patched sources.
    execFileSync(process.execPath, ['tools/build-app.mjs', 'agent'], { cwd: tree, stdio: ['ignore', 'ignore', 'pipe'] });
    return { tree, head, remove };
  } catch (err) {
    remove();
    throw err;
  }
}
