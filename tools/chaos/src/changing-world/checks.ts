import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog } from '@filesync/store';
import { type InvariantReport, emptyReport } from '../invariants';
import { sha256File } from '../manifest';
import type { TargetContent } from './target-content';
import { type SourceVersion, type VersionLedger, versionKey, versionName } from './versions';
import { targetsOf } from './watcher';

/** What the changing-world checks count (beside the report's `lost`, `corrupt`, `removedEarly`). */
export interface ChangingWorldFigures {
  /** Versions the world wrote, by cause. */
  readonly versions: Record<string, number>;
  /** Versions the agent removed from their source. */
  goneVersions: number;
  /** …of which not on every routed target at the end: lost (in `lost`). */
  lostVersions: number;
  /** Stable files still on their source at the end and on no target, the agent having given no reason (in `lost`). */
  undelivered: number;
  /** Stable files the agent kept on their source and marked failed, with its reason: allowed, listed. */
  refused: number;
  /** Delivered but still on their `move` source at the end (reported; the delivery wait normally ends before). */
  notRemoved: number;
  /** Target files whose content no version ever had and the world did not put there (spliced reads, …) (in `corrupt`). */
  unknownOnTargets: number;
  /** Target files that are a prefix of a growing file (a snapshot delivered before it was stable): reported, not failed. */
  growingPrefixes: number;
  /** The secret outside the source reached a target, or was changed or removed through a symlink (in `corrupt`). */
  secretLeaks: number;
}

/**
 * The files outside the source the world's symlinks point at: each of the size and mtime of the file its
 * symlink replaced (so that a listing that follows the link sees nothing change), all carrying `marker`,
 * and never to be on a target. `files`: path → sha256.
 */
export interface Secret {
  readonly marker: string;
  readonly files: Map<string, string>;
}

const MAX_PROBLEMS = 40;
/** Lines about files still on their source: an agent that stalls leaves dozens, all alike. */
const MAX_LATER_LINES = 12;

/**
 * The changing world's invariants, on the real files (sources, the NAS's directory, the site's logs), not
 * on the agent's word; the catalog only says why a file the agent kept was refused.
 */
export async function checkChangingWorld(
  ledger: VersionLedger,
  targets: TargetContent,
  secret: Secret,
  /** The agent's reason for keeping this version on its source (its newest row `failed`), if it gave one. */
  refusalOf: (v: SourceVersion) => string | undefined,
): Promise<{ report: InvariantReport; figures: ChangingWorldFigures }> {
  const report = emptyReport();
  const problem = (text: string): void => {
    if (report.problems.length < MAX_PROBLEMS) report.problems.push(text);
  };
  const figures: ChangingWorldFigures = {
    versions: {}, goneVersions: 0, lostVersions: 0, undelivered: 0, refused: 0, notRemoved: 0, unknownOnTargets: 0, growingPrefixes: 0, secretLeaks: 0,
  };
  for (const v of ledger.all()) figures.versions[v.cause] = (figures.versions[v.cause] ?? 0) + 1;
  await markGoneAtEnd(ledger);
  await targets.refresh();
  const of = (v: SourceVersion): number => ledger.versionsOf(versionKey(v)).length;
  const missingOn = (v: SourceVersion): string[] => targetsOf(v).filter((t) => !targets.holds(t, v.sha256));

  // Removed versions first: with an agent that stalls, the undelivered files would crowd them out of the lines.
  const later: string[] = [];
  for (const v of ledger.all()) {
    if (v.kind === 'fifo' || v.kind === 'symlink') continue;
    if (v.end?.how === 'gone') {
      figures.goneVersions++;
      const missing = missingOn(v);
      if (missing.length > 0) {
        figures.lostVersions++;
        report.lost++;
        problem(`lost: ${versionName(v, of(v))} was removed from its source (seen by the ${v.end.seenBy}) and is not on ${missing.join(', ')}`);
      } else if ((v.missingWhenGone ?? []).length > 0) {
        report.removedEarly++;
        problem(`removed early: ${versionName(v, of(v))} left its source while ${v.missingWhenGone!.join(', ')} lacked it`);
      }
    } else if (!v.end) {
      // The last version at its path, still there: stable since the world stopped changing things.
      const missing = missingOn(v);
      const reason = missing.length > 0 ? refusalOf(v) : undefined;
      if (missing.length === 0) {
        figures.notRemoved++;
        later.push(`not removed: ${versionName(v, of(v))} is on every target but still on its move source`);
      } else if (reason !== undefined) {
        figures.refused++;
        later.push(`refused (allowed): ${versionName(v, of(v))} kept on its source: ${reason}`);
      } else {
        figures.undelivered++;
        report.lost++;
        later.push(`lost: ${versionName(v, of(v))} is stable on its source but not on ${missing.join(', ')}, and the agent gives no reason`);
      }
    }
  }
  await checkTargetContent(ledger, targets, secret, figures, problem);
  report.corrupt += figures.unknownOnTargets + figures.secretLeaks;
  const shown = MAX_LATER_LINES;
  for (const line of later.slice(0, shown)) problem(line);
  if (later.length > shown) problem(`… and ${later.length - shown} more files still on their source`);
  return { report, figures };
}

/** Versions whose file is not there any more at the end, unseen by the watcher (it samples every 100 ms). */
async function markGoneAtEnd(ledger: VersionLedger): Promise<void> {
  for (const key of ledger.keys()) {
    const v = ledger.current(key);
    if (!v || v.kind === 'fifo' || v.kind === 'symlink') continue;
    const st = await lstat(join(v.source.dirs[0]!, v.path)).catch(() => undefined);
    if (!st || st.ino !== v.ino) ledger.markGone(key, 'end');
  }
}

/**
 * The agent's reason for keeping a version on its source: its newest row of the path is this version
 * (same size) and is `failed`, or one of its targets is (a target that refuses the file for good).
 */
export function refusal(catalog: Catalog, v: SourceVersion): string | undefined {
  const rows = catalog.listFiles({ sourceId: v.source.catalogId }).filter((f) => f.path === v.path);
  const newest = rows.sort((a, b) => a.foundAt - b.foundAt).at(-1);
  if (!newest || newest.size !== v.size) return undefined;
  if (newest.state === 'failed') return newest.reason ?? '(failed, no reason recorded)';
  const target = catalog.targetsOf(newest.fileId).find((t) => t.state === 'failed');
  return target ? `${target.targetId}: ${target.reason ?? '(failed, no reason recorded)'}` : undefined;
}

async function checkTargetContent(
  ledger: VersionLedger,
  targets: TargetContent,
  secret: Secret,
  figures: ChangingWorldFigures,
  problem: (text: string) => void,
): Promise<void> {
  const known = ledger.knownContent();
  const grown = ledger.all().flatMap((v) => (v.grown ? [v.grown] : []));
  const secrets = new Set(secret.files.values());
  for (const f of targets.files()) {
    if (secrets.has(f.sha256)) {
      figures.secretLeaks++;
      problem(`secret leaked: ${f.target}:${f.name} holds a file outside the source a symlink pointed at`);
      continue;
    }
    if (known.has(f.sha256) || ledger.decoys.has(f.sha256)) continue;
    const bytes = f.target === 'nas' ? await targets.nasBytes(f.name) : undefined;
    if (bytes?.includes(secret.marker)) {
      figures.secretLeaks++;
      problem(`secret leaked: ${f.target}:${f.name} holds bytes of the file outside the source`);
    } else if (bytes && grown.some((g) => bytes.length < g.length && g.subarray(0, bytes.length).equals(bytes))) {
      figures.growingPrefixes++;
      problem(`growing file delivered before it was stable (allowed, reported): ${f.target}:${f.name} is a ${bytes.length}-byte prefix`);
    } else {
      figures.unknownOnTargets++;
      problem(`corrupt: ${f.target}:${f.name} (sha ${f.sha256.slice(0, 12)}) holds content no version of any source file ever had`);
    }
  }
  for (const [path, sha] of secret.files) {
    const now = await sha256File(path).catch(() => 'missing');
    if (now === sha) continue;
    figures.secretLeaks++;
    problem(`${path}, outside the source, that a symlink pointed at, was ${now === 'missing' ? 'removed' : 'changed'}`);
  }
}
