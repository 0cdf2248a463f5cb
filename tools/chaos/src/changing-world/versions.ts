import { manifestKey } from '../manifest';
import type { SourceInfo } from '../world';

/**
 * What the world put at a path: a regular file that stays as written (`stable`), one still being appended
 * to (`growing`; stable once closed), or a FIFO / a symlink to outside the source in place of a listed file.
 */
export type VersionKind = 'stable' | 'growing' | 'fifo' | 'symlink';

/** Why the world wrote it: the first files, a new file, a rewrite under the same name, … */
export type VersionCause = 'initial' | 'new' | 'rewritten' | 'same-size-mtime' | 'counter-restart' | 'grown' | 'fifo' | 'symlink';

/** How a version left its path: the world replaced it, or it was gone (the agent deleted it) when someone looked. */
export type VersionEnd = { readonly how: 'replaced'; readonly at: number } | { readonly how: 'gone'; readonly at: number; readonly seenBy: 'watcher' | 'world' | 'end' };

/** One version of one source path, as the world wrote it. */
export interface SourceVersion {
  readonly source: SourceInfo;
  readonly path: string;
  /** 1 for the first version at this path. */
  readonly n: number;
  readonly cause: VersionCause;
  kind: VersionKind;
  /** sha256 of its content (a growing file's: of everything written by the time it was closed). */
  sha256: string;
  size: number;
  /** Inode, to tell the world's own write from a file someone else put there. */
  readonly ino: number;
  readonly writtenAt: number;
  /** A growing file's bytes so far: a target copy that is a prefix of them is a snapshot, not a file that never existed. */
  grown?: Buffer;
  end?: VersionEnd;
  /** When gone: which routed targets lacked its content at the moment the loss was seen (removed early if any). */
  missingWhenGone?: readonly string[];
}

export const versionKey = (v: { readonly source: SourceInfo; readonly path: string }): string => manifestKey(v.source.catalogId, v.path);

/** A version's name in a problem line: `field:img/IMG_0003.jpg v2/3 (rewritten, sha 1a2b3c4d5e6f)`. */
export function versionName(v: SourceVersion, of: number): string {
  return `${v.source.catalogId}:${v.path} v${v.n}/${of} (${v.cause}, ${v.size} B, sha ${v.sha256.slice(0, 12)})`;
}

/**
 * Every version of every source path the world wrote, in order, and how each ended: the checker says
 * from this which version was lost, not just which path. Also the content the world put on targets
 * itself (older files at target paths), and the secret a symlink points to.
 */
export class VersionLedger {
  private readonly byKey = new Map<string, SourceVersion[]>();
  /** sha256 of the older, different files the world put at target paths before the agent started. */
  readonly decoys = new Set<string>();
  /** Paths a world change is under way on: the watcher does not judge them meanwhile. */
  readonly busy = new Set<string>();

  add(v: Omit<SourceVersion, 'n'>, at = Date.now()): SourceVersion {
    const list = this.byKey.get(versionKey(v)) ?? [];
    const last = list.at(-1);
    if (last && !last.end) last.end = { how: 'replaced', at };
    const version: SourceVersion = { ...v, n: list.length + 1 };
    list.push(version);
    this.byKey.set(versionKey(v), list);
    return version;
  }

  /** The version now at the path (the last the world wrote), unless it is known gone. */
  current(key: string): SourceVersion | undefined {
    const last = this.byKey.get(key)?.at(-1);
    return last && !last.end ? last : undefined;
  }

  versionsOf(key: string): readonly SourceVersion[] {
    return this.byKey.get(key) ?? [];
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }

  all(): SourceVersion[] {
    return [...this.byKey.values()].flat();
  }

  /** Every sha256 the world ever wrote to a source. */
  knownContent(): Set<string> {
    return new Set(this.all().map((v) => v.sha256));
  }

  /** The version at `key` is gone from its source (the world did not remove it). */
  markGone(key: string, seenBy: 'watcher' | 'world' | 'end', at = Date.now()): SourceVersion | undefined {
    const v = this.current(key);
    if (v) v.end = { how: 'gone', at, seenBy };
    return v;
  }
}
