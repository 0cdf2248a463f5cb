import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listFiles, sha256File } from '../manifest';
import { FLIGHT_REVIEW } from '../world';

/** One file on the NAS, by content. */
interface NasFile {
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

/**
 * What the targets hold, by content (sha256), read from the real files: the NAS's directory (in-transit
 * `.part` files are not delivered and do not count) and the Flight Review simulator's stored logs. A
 * version is "on a target" when its content is there under any name — a rewritten file lands under the
 * collision policy's name beside the older one.
 */
export class TargetContent {
  private readonly nas = new Map<string, NasFile>();
  private site = new Map<string, number>();

  constructor(
    /** The NAS simulator's root directory. */
    private readonly nasRoot: string,
    /** The site's stored logs, sha256 → copies (`flightReviewCopies`); undefined when it does not answer. */
    private readonly siteCopies: () => Promise<ReadonlyMap<string, number> | undefined>,
  ) {}

  /** Reads the targets again; NAS files unchanged in size and mtime since the last look are not hashed again. */
  async refresh(): Promise<void> {
    const root = this.nasRoot;
    const seen = new Set<string>();
    for (const rel of await listFiles(root)) {
      if (rel.endsWith('.part')) continue;
      const st = await stat(join(root, rel)).catch(() => undefined);
      if (!st) continue;
      seen.add(rel);
      const known = this.nas.get(rel);
      if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) continue;
      const sha256 = await sha256File(join(root, rel)).catch(() => undefined);
      if (sha256 !== undefined) this.nas.set(rel, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
    }
    for (const rel of this.nas.keys()) if (!seen.has(rel)) this.nas.delete(rel);
    this.site = new Map((await this.siteCopies()) ?? this.site);
  }

  /** Whether `target` holds a file with this content. */
  holds(target: string, sha256: string): boolean {
    if (target === FLIGHT_REVIEW) return (this.site.get(sha256) ?? 0) > 0;
    for (const f of this.nas.values()) if (f.sha256 === sha256) return true;
    return false;
  }

  /** Every delivered file: `{target, name, sha256}` (the site's logs are named by their sha256). */
  files(): { readonly target: string; readonly name: string; readonly sha256: string }[] {
    const out = [...this.nas].map(([name, f]) => ({ target: 'nas', name, sha256: f.sha256 }));
    for (const sha256 of this.site.keys()) out.push({ target: FLIGHT_REVIEW, name: `log ${sha256.slice(0, 12)}`, sha256 });
    return out;
  }

  /** The bytes of a NAS file (undefined if gone). */
  async nasBytes(name: string): Promise<Buffer | undefined> {
    return readFile(join(this.nasRoot, name)).catch(() => undefined);
  }
}
