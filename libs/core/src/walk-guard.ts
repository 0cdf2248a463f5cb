import { type FsCalls, nodeFsCalls } from './fs-calls';
import type { ListProblem } from './source';

/**
 * Bounds of every walk, in one place for all sources: a directory deeper than `maxDepth` and every
 * entry past `maxEntries` are left out with a `tree` problem, so a scan of a symlink loop a server
 * lists as a directory, or of a hostile device, always ends.
 */
export const WALK_LIMITS = { maxDepth: 32, maxEntries: 500_000 } as const;

export type WalkLimits = { readonly maxDepth: number; readonly maxEntries: number };

/** Applies `WALK_LIMITS` to one walk and reports what it leaves out. */
export class WalkGuard {
  private entries = 0;
  private full = false;

  constructor(
    readonly report: (problem: ListProblem) => void,
    private readonly limits: WalkLimits = WALK_LIMITS,
  ) {}

  /** Whether the directory `path` at `depth` (the root is 0) may be listed; reports it if not. */
  mayEnter(path: string, depth: number): boolean {
    if (this.full) return false;
    if (depth <= this.limits.maxDepth) return true;
    this.report({ path, scope: 'tree', reason: `deeper than ${this.limits.maxDepth} directories: not listed` });
    return false;
  }

  /** Counts one listed entry; false once the walk is over its bound (reported once, for the whole source). */
  counted(): boolean {
    if (this.full) return false;
    if (++this.entries <= this.limits.maxEntries) return true;
    this.full = true;
    this.report({ path: '', scope: 'tree', reason: `more than ${this.limits.maxEntries} entries: the listing stopped there` });
    return false;
  }

  /**
   * Enters the local directory `dir` (at `path` in the walk) below `ancestors` (device:inode → path):
   * the ancestors for its children, or undefined when it is one of its own ancestors (a bind mount
   * inside itself), reported as a cycle. An lstat failure rejects, for the caller to classify.
   */
  async enterLocal(
    dir: string,
    path: string,
    ancestors: ReadonlyMap<string, string>,
    fs: Pick<FsCalls, 'lstat'> = nodeFsCalls,
  ): Promise<ReadonlyMap<string, string> | undefined> {
    const st = await fs.lstat(dir);
    const here = `${st.dev}:${st.ino}`;
    const again = ancestors.get(here);
    if (again !== undefined) {
      this.cycle(path, again);
      return undefined;
    }
    return new Map(ancestors).set(here, path);
  }

  /** Reports a directory skipped because it repeats one of its ancestors. */
  cycle(path: string, ancestor: string): void {
    this.report({ path, scope: 'tree', reason: `a directory cycle (the same directory as ${ancestor || '/'}): not listed again` });
  }
}
