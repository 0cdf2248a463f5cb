import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { SamplingLoop } from '../sampling-loop';
import type { TargetContent } from './target-content';
import type { SourceVersion, VersionLedger } from './versions';

const SAMPLE_MS = 100;

/** The targets a version must reach: its source's routes for its path. */
export const targetsOf = (v: SourceVersion): readonly string[] => v.source.targetsOf?.(v.path) ?? v.source.targets;

/**
 * Watches the sources from outside the agent: when the file the world last wrote at a path is gone (or is
 * another inode than the world's), the agent removed it — the ledger records which version that was, and
 * which routed targets lacked its content at that moment (the targets are read again then; what they
 * lack then was removed early, and if they still lack it at the end, it is lost).
 */
export class SourceWatcher {
  private readonly loop = new SamplingLoop(() => this.sample(), SAMPLE_MS);

  constructor(
    private readonly ledger: VersionLedger,
    private readonly targets: TargetContent,
  ) {}

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async sample(): Promise<void> {
    const gone: SourceVersion[] = [];
    for (const key of this.ledger.keys()) {
      const v = this.ledger.current(key);
      // FIFOs and symlinks are the world's traps, not data: the agent may leave or remove them.
      if (!v || this.ledger.busy.has(key) || v.kind === 'fifo' || v.kind === 'symlink') continue;
      const st = await lstat(join(v.source.dirs[0]!, v.path)).catch(() => undefined);
      // The world may have changed it while this looked (it marks the path busy first).
      if (this.ledger.busy.has(key) || this.ledger.current(key) !== v) continue;
      if (st && st.ino === v.ino) continue;
      this.ledger.markGone(key, 'watcher');
      gone.push(v);
    }
    if (gone.length === 0) return;
    await this.targets.refresh();
    for (const v of gone) v.missingWhenGone = targetsOf(v).filter((t) => !this.targets.holds(t, v.sha256));
  }

  /** Versions the world found gone itself (before changing their path): their targets, read now. */
  async judgeUnjudged(): Promise<void> {
    const open = this.ledger.all().filter((v) => v.end?.how === 'gone' && v.missingWhenGone === undefined);
    if (open.length === 0) return;
    await this.targets.refresh();
    for (const v of open) v.missingWhenGone = targetsOf(v).filter((t) => !this.targets.holds(t, v.sha256));
  }
}
