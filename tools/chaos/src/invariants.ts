import type { Catalog, CatalogEvent, FileRecord } from '@filesync/store';
import type { CounterSnapshot } from './counters';
import { latestRows } from './delivered';
import { type Manifest, findOnSource, listFiles, manifestKey, sha256File, targetRel } from './manifest';
import type { FaultRecord, RoundObserver } from './observer';
import { flightReviewCopies, siteFindings } from './upload-site';
import { S3_PARTS_IN_FLIGHT, S3_PART_BYTES, listKeys, openUploads } from './s3-bucket';
import { FLIGHT_REVIEW, type ChaosWorld, S3_TARGET } from './world';

/** Bytes a transfer may send twice per interruption (ARCHITECTURE promise 2: one checkpoint, ≤ 1 MiB) plus one read chunk. */
export const RESEND_ALLOWANCE = 1024 * 1024 + 64 * 1024;

export interface Excuses {
  /** Manifest keys whose partial copy the fault itself destroyed (a `.part` deleted on the server). */
  readonly keys: ReadonlySet<string>;
  /** The scenario destroyed durable state everywhere (a catalog restored from an older backup). */
  readonly all: boolean;
}

export interface InvariantReport {
  /** Files not at every routed target. */
  lost: number;
  /** Files at a target with other bytes than the source had. */
  corrupt: number;
  /** Transfers that started again from byte 0 (or lost more than one checkpoint) after making progress. */
  restartedFromZero: number;
  /** Restarts the fault itself made unavoidable (its partial copy was destroyed): counted, not failed. */
  excusedRestarts: number;
  /** Files that left a `move` source before every target had them intact (seen from outside, or in the catalog's history). */
  removedEarly: number;
  /** Files on the target that no source file explains (a renamed second copy), and `.part` files left behind. */
  duplicates: number;
  /**
   * Second copies of a log on Flight Review. The site cannot say whether a POST whose answer a kill cut
   * off stored the log, so the agent sends it again: at most one extra copy per fault is that cost; more
   * are counted in `duplicates` too.
   */
  siteCopies: number;
  leftoverParts: number;
  /** Catalog rows that disagree with the files (state, sha256, target rows, unknown files). */
  catalogMismatch: number;
  /** Files a repaired catalog no longer knows, that were delivered intact and gone from their `move` source. */
  forgotten: number;
  /**
   * Known agent bugs, counted apart from the figures above (see README "Findings"):
   * - `sealedBeforeRecord`: a download-reset from the file's full size to 0 — killed after staging sealed
   *   the file (`<id>.part` renamed to `<id>`) but before the catalog recorded `staged`; on restart the
   *   downloader looks only at `<id>.part` and downloads the whole file again;
   * - `uploadedNotDelivered`: every target row `uploaded` but the file still `staged` — killed between the
   *   target's `uploaded` and the file's `delivered`; no step ever picks it up again.
   * - `phantomVersion`: the newest row of a path is another version (other size or mtime) than the file
   *   ever had, while an earlier row of the same path is at its end state with the right sha256 (seen once
   *   in ftp-outage; the problem line carries every version's history).
   * `restartsFromThem`: how many of `restartedFromZero` these caused (counted there too: they are restarts).
   */
  knownIssues: { sealedBeforeRecord: number; uploadedNotDelivered: number; phantomVersion: number; restartsFromThem: number };
  /** `file.download-reset` events not caused by the scenario: staging held less than the catalog recorded. */
  downloadResets: number;
  /**
   * `target.upload-reset` events: the catalog's upload offset was ahead of the target's in-transit copy
   * when the upload went on (bytes recorded as they were read from staging, before the target had them).
   */
  uploadResets: number;
  /** Files changed or missing on a `copy` source. */
  sourceChanged: number;
  /**
   * Bytes the camera wrote into a download's connection that a killed agent never received (socket
   * buffers): counted in `bytesMoved`, but not against a file's resend allowance.
   */
  lostInFlight: number;
  /** bytes the simulators saw move / bytes needed − 1, over the legs they count. */
  extraBytesRatio: number;
  bytesNeeded: number;
  bytesMoved: number;
  /** A world with an S3 store: what its counters and listings showed (the failures count in the figures above). */
  s3?: S3Figures;
  problems: string[];
}

/** An S3 store's figures for a round. */
export interface S3Figures {
  /** The agent's part size. */
  readonly partBytes: number;
  /** Parts the agent keeps in flight (`partConcurrency`): one interruption may cost this many parts. */
  readonly partsInFlight: number;
  /** Bytes the store received beyond the files' sizes (parts cut by a kill and sent again, parts of aborted uploads). */
  readonly resentBytes: number;
  /** The most bytes one file's upload received again per kill that interrupted it (≤ `partBytes × partsInFlight`, or the round fails). */
  readonly maxResentPerKill: number;
  /** Multipart uploads still open at the end (ListMultipartUploads); each fails the round, in `leftoverParts`. */
  readonly openUploads: number;
}

/** A report with every figure at zero (a scenario with checks of its own fills in what it measures). */
export function emptyReport(): InvariantReport {
  return {
    lost: 0, corrupt: 0, restartedFromZero: 0, excusedRestarts: 0, removedEarly: 0, duplicates: 0, siteCopies: 0, leftoverParts: 0,
    catalogMismatch: 0, forgotten: 0, knownIssues: { sealedBeforeRecord: 0, uploadedNotDelivered: 0, phantomVersion: 0, restartsFromThem: 0 }, downloadResets: 0, uploadResets: 0, sourceChanged: 0, lostInFlight: 0, extraBytesRatio: 0, bytesNeeded: 0, bytesMoved: 0, problems: [],
  };
}

const MAX_PROBLEMS = 40;
function problem(report: InvariantReport, text: string): void {
  if (report.problems.length < MAX_PROBLEMS) report.problems.push(text);
}

/** Checks the round's end state against the manifest: real files first, then the catalog, then the byte counters. */
export async function checkInvariants(
  world: ChaosWorld,
  manifest: Manifest,
  observer: RoundObserver,
  finalCounters: CounterSnapshot,
  excuses: Excuses,
  /** Files of earlier rounds in the same world (a campaign): expected on the NAS and in the catalog, not checked again. */
  earlier: Manifest = new Map(),
): Promise<InvariantReport> {
  const report = emptyReport();
  const stillOnMoveSource = new Set<string>();
  const known: KnownRestarts = { keys: new Set(), fileIds: new Set() };
  await checkFiles(world, manifest, earlier, report, stillOnMoveSource);
  if (world.sims.has(S3_TARGET)) await checkBucket(world, manifest, earlier, report);
  await checkUploadSite(world, manifest, earlier, observer.faults.length, report);
  const fromCatalog = world.readCatalog((c) => checkCatalog(c, manifest, earlier, excuses, report, stillOnMoveSource, known), true);
  if (fromCatalog === undefined) {
    report.catalogMismatch++;
    problem(report, 'the catalog could not be read after the run');
  }
  for (const text of observer.removedEarly) {
    report.removedEarly++;
    problem(report, text);
  }
  // A partial copy under the final name is other bytes than the source's where readers take it as done.
  for (const text of observer.tornFinals) {
    report.corrupt++;
    problem(report, `torn: ${text}`);
  }
  for (const drop of observer.stagingDrops) {
    if (excuses.all) report.excusedRestarts++;
    else {
      report.restartedFromZero++;
      if (known.fileIds.has(drop.fileId)) report.knownIssues.restartsFromThem++;
      problem(report, `staged ${drop.fileId}.part went back from ${drop.from} to ${drop.to} bytes`);
    }
  }
  // A multipart upload goes on from its acknowledged parts: one kill may cost the parts in flight (cut, or
  // stored but not yet recorded), up to partConcurrency parts, not one checkpoint.
  const upload = world.sims.has(S3_TARGET)
    ? { allowance: S3_PART_BYTES * S3_PARTS_IN_FLIGHT, receiver: 'S3 store received', resumes: true }
    : { allowance: RESEND_ALLOWANCE, receiver: 'NAS received', resumes: world.nasResumes };
  checkCounters(manifest, observer.faults, observer.lostInFlight, finalCounters, excuses, report, known, upload);
  return report;
}

async function checkFiles(world: ChaosWorld, manifest: Manifest, earlier: Manifest, report: InvariantReport, stillOnMoveSource: Set<string>): Promise<void> {
  const nasRoot = world.targetRoot('nas');
  const expected = new Set<string>();
  for (const entry of earlier.values()) expected.add(targetRel(entry));
  for (const entry of manifest.values()) {
    // An upload site is checked by its logs' content (checkUploadSite).
    for (const target of entry.source.targets.filter((t) => t !== FLIGHT_REVIEW)) {
      expected.add(targetRel(entry));
      const sha = await world.targetSha256(entry, target);
      if (sha === undefined) {
        report.lost++;
        problem(report, `lost: ${entry.source.catalogId}:${entry.path} is not on ${target}`);
      } else if (sha !== entry.sha256) {
        report.corrupt++;
        problem(report, `corrupt: ${entry.source.catalogId}:${entry.path} on ${target} has other bytes`);
      }
    }
    const onSource = await findOnSource(entry);
    if (entry.source.policy === 'copy') {
      const sha = onSource === undefined ? 'missing' : await sha256File(onSource).catch(() => 'unreadable');
      if (sha !== entry.sha256) {
        report.sourceChanged++;
        problem(report, `copy source changed: ${entry.source.catalogId}:${entry.path} (${sha === entry.sha256 ? '' : sha})`);
      }
    } else if (onSource !== undefined) {
      problem(report, `move: ${entry.source.catalogId}:${entry.path} is still on its source`);
      stillOnMoveSource.add(manifestKey(entry.source.catalogId, entry.path));
    }
  }
  for (const rel of await listFiles(nasRoot)) {
    if (expected.has(rel)) continue;
    if (rel.endsWith('.part')) report.leftoverParts++;
    else report.duplicates++;
    problem(report, `unexpected file on the NAS: ${rel}`);
  }
}

/**
 * The S3 store after the run: an object no source file explains is a duplicate (a second copy under a
 * suffixed name), and a multipart upload still open is what a `.part` is on the NAS — bytes the store
 * keeps (and bills) that no object will ever use.
 */
async function checkBucket(world: ChaosWorld, manifest: Manifest, earlier: Manifest, report: InvariantReport): Promise<void> {
  const endpoint = String(world.sim(S3_TARGET).ready['s3']);
  const expected = new Set([...earlier.values(), ...manifest.values()].map((e) => targetRel(e)));
  for (const key of await listKeys(endpoint)) {
    if (expected.has(key)) continue;
    report.duplicates++;
    problem(report, `unexpected object in the bucket: ${key}`);
  }
  const open = await openUploads(endpoint);
  report.leftoverParts += open.length;
  for (const u of open) problem(report, `multipart upload left open: ${u}`);
  report.s3 = { partBytes: S3_PART_BYTES, partsInFlight: S3_PARTS_IN_FLIGHT, resentBytes: 0, maxResentPerKill: 0, openUploads: open.length };
}

/** The round's logs on Flight Review, when the world routes any there. */
async function checkUploadSite(world: ChaosWorld, manifest: Manifest, earlier: Manifest, faults: number, report: InvariantReport): Promise<void> {
  const routed = [...manifest.values()].filter((e) => e.source.targets.includes(FLIGHT_REVIEW));
  if (routed.length === 0) return;
  const copies = await flightReviewCopies(world);
  const known = new Set([...earlier.values(), ...manifest.values()].map((e) => e.sha256));
  const found = siteFindings(copies, new Map(routed.map((e) => [`${e.source.catalogId}:${e.path}`, e.sha256])), known, faults);
  report.lost += found.missing.length;
  for (const name of found.missing) problem(report, `lost: ${name} is not on ${FLIGHT_REVIEW}${copies ? '' : ' (it did not answer)'}`);
  report.corrupt += found.unknown.length;
  for (const sha of found.unknown) problem(report, `${FLIGHT_REVIEW} holds a log no source file has (sha256 ${sha.slice(0, 12)})`);
  report.siteCopies += found.secondCopies;
  report.duplicates += found.excess;
  if (found.excess > 0) problem(report, `${found.secondCopies} second copies of logs on ${FLIGHT_REVIEW} after ${faults} fault(s): more than one a fault`);
}

/** Files a known agent bug made start again, so that their restarts can be told apart. */
interface KnownRestarts {
  readonly keys: Set<string>;
  readonly fileIds: Set<string>;
}

function checkCatalog(
  catalog: Catalog,
  manifest: Manifest,
  earlier: Manifest,
  excuses: Excuses,
  report: InvariantReport,
  stillOnMoveSource: ReadonlySet<string>,
  known: KnownRestarts,
): true {
  // A `move` file still on its source is a mismatch unless it is the known stuck-`staged` bug (below).
  const stuck = new Set<string>();
  const rows = latestRows(catalog);
  for (const [key, row] of rows) {
    if (!manifest.has(key) && !earlier.has(key)) {
      report.catalogMismatch++;
      problem(report, `catalog has a file no source had: ${row.sourceId}:${row.path} (${row.state})`);
    }
  }
  for (const [key, entry] of manifest) {
    const row = rows.get(key);
    const name = `${entry.source.catalogId}:${entry.path}`;
    const want = entry.source.policy === 'move' ? 'removed' : 'delivered';
    // A catalog lost with its backups cannot know a file that left its source before; the files check covers it.
    if (!row && excuses.all && entry.source.policy === 'move') {
      report.forgotten++;
      continue;
    }
    if (row?.state === 'staged' && row.sha256 === entry.sha256 && entry.source.targets.every((t) => catalog.getTarget(row.fileId, t)?.state === 'uploaded')) {
      report.knownIssues.uploadedNotDelivered++;
      stuck.add(key);
      problem(report, `known issue: ${name} is uploaded to every target but stays staged (never delivered${entry.source.policy === 'move' ? ', never removed' : ''})`);
      continue;
    }
    const good = (f: FileRecord): boolean => f.state === want && f.sha256 === entry.sha256 && f.size === entry.size;
    if (row && !good(row) && catalog.listFiles({ sourceId: row.sourceId }).some((f) => f.path === row.path && f.fileId !== row.fileId && good(f))) {
      report.knownIssues.phantomVersion++;
      problem(report, `known issue: ${name}: a phantom newer version is ${row.state}; history: ${historyOf(catalog, entry.source.catalogId, entry.path)}`);
      continue;
    }
    if (!row || row.state !== want || row.sha256 !== entry.sha256 || row.size !== entry.size) {
      report.catalogMismatch++;
      problem(report, `catalog: ${name} is ${row ? `${row.state} sha ${row.sha256?.slice(0, 12)}` : 'absent'}, expected ${want} sha ${entry.sha256.slice(0, 12)}; history: ${historyOf(catalog, entry.source.catalogId, entry.path)}`);
      continue;
    }
    const targets = catalog.targetsOf(row.fileId);
    for (const t of entry.source.targets) {
      if (targets.find((r) => r.targetId === t)?.state !== 'uploaded') {
        report.catalogMismatch++;
        problem(report, `catalog: ${name} is not uploaded to ${t}`);
      }
    }
    // Every version of this path counts: a repaired catalog may have started a fresh row.
    const history = catalog.listFiles({ sourceId: row.sourceId }).filter((f) => f.path === row.path).flatMap((f) => catalog.history(f.fileId));
    checkHistory(history, name, entry.size, entry.source.policy, key, excuses, report, known);
  }
  for (const key of stillOnMoveSource) if (!stuck.has(key)) report.catalogMismatch++;
  return true;
}

/** Every version's events for one path, short, for a problem line that explains itself. */
function historyOf(catalog: Catalog, sourceId: string, path: string): string {
  return catalog
    .listFiles({ sourceId })
    .filter((f) => f.path === path)
    .map((f) => `[${f.fileId.slice(0, 8)} size ${f.size} mtime ${f.mtimeMs}${f.versionOf ? ` version of ${f.versionOf.slice(0, 8)}` : ''}: ${catalog
      .history(f.fileId)
      .map((e) => `${e.kind === 'file.found' ? 'found' : `${e.targetId ? `${e.targetId}:` : ''}${e.fromState ?? ''}→${e.toState ?? ''}`}${e.detail?.['reason'] ? `(${String(e.detail['reason']).slice(0, 60)})` : ''}`)
      .join(' ')}]`)
    .join(' ');
}

function checkHistory(
  history: CatalogEvent[],
  name: string,
  size: number,
  policy: 'copy' | 'move',
  key: string,
  excuses: Excuses,
  report: InvariantReport,
  known: KnownRestarts,
): void {
  const excused = excuses.all || excuses.keys.has(key);
  const restart = (what: string): void => {
    if (excused) report.excusedRestarts++;
    else {
      report.restartedFromZero++;
      problem(report, `restarted from zero: ${name}: ${what}`);
    }
  };
  for (const e of history) {
    const from = Number(e.detail?.['from'] ?? 0);
    const to = Number(e.detail?.['to'] ?? 0);
    // Staging is ours and fsynced before each record: under a SIGKILL it can never hold less than recorded.
    if (e.kind === 'file.download-reset') {
      if (excused) report.excusedRestarts++;
      else if (from === size && to === 0 && size > 0) {
        report.knownIssues.sealedBeforeRecord++;
        known.keys.add(key);
        known.fileIds.add(e.fileId);
        problem(report, `known issue: ${name}: sealed in staging but not recorded staged; downloaded again from 0 (${size} bytes)`);
        if (size > RESEND_ALLOWANCE) {
          report.restartedFromZero++;
          report.knownIssues.restartsFromThem++;
        }
      }
      else {
        report.downloadResets++;
        problem(report, `staging held less than recorded: ${name}: file.download-reset ${from} → ${to}`);
        if (from - to > RESEND_ALLOWANCE || (to === 0 && from > 0 && size > RESEND_ALLOWANCE)) restart(`file.download-reset ${from} → ${to}`);
      }
    }
    // The target's own size decides where an upload goes on; what it received twice shows in its counters.
    if (e.kind === 'target.upload-reset') report.uploadResets++;
    // uploading → pending: the target's partial copy was given up; downloading → found: the staged one —
    // unless the file showed another size before a byte of it was read (it settles again: nothing given up).
    if (e.kind === 'target.state' && e.fromState === 'uploading' && e.toState === 'pending') restart(`upload to ${e.targetId} started over`);
    if (e.kind === 'file.state' && e.fromState === 'downloading' && e.toState === 'found' && e.detail?.['unread'] !== true) restart('download started over');
  }
  if (policy === 'move') {
    const uploaded = history.filter((e) => e.kind === 'target.state' && e.toState === 'uploaded').map((e) => e.id);
    const removed = history.filter((e) => e.kind === 'file.state' && e.toState === 'removed').map((e) => e.id);
    if (removed.length !== 1 || uploaded.length === 0 || removed[0]! < Math.max(...uploaded)) {
      report.removedEarly++;
      problem(report, `catalog order: ${name} removed ${removed.length}× (event ${removed.join(',')}), uploaded at events ${uploaded.join(',')}`);
    }
  }
}

/**
 * A transfer interrupted by a fault (its counter moved both before and after it, or it had not finished
 * when an armed fault was set) may send up to
 * {@link RESEND_ALLOWANCE} twice — or, on a NAS that cannot resume (`uploadsResume` false: rclone's
 * WebDAV), up to the whole file again, which is what such a server costs and is measured, not failed; more than that, summed over its interruptions (at least one: a link
 * resends lost packets by itself), means it started again from an earlier point than its durable offset.
 * Bytes a killed agent never received (still in the sockets' buffers, measured after each kill) are
 * taken off first: the camera counts what it writes, not what arrives.
 */
function checkCounters(
  manifest: Manifest,
  faults: readonly FaultRecord[],
  lostInFlight: ReadonlyMap<string, number>,
  final: CounterSnapshot,
  excuses: Excuses,
  report: InvariantReport,
  known: KnownRestarts,
  /**
   * The upload leg's allowance per interruption, who counts its bytes (for the problem line), and
   * whether the target resumes at all (one that cannot may send what it had sent again, up to the whole file).
   */
  upload: { readonly allowance: number; readonly receiver: string; readonly resumes: boolean },
): void {
  let needed = 0;
  let moved = 0;
  let resent = 0;
  let maxPerKill = 0;
  const perFile = (leg: 'uploaded' | 'downloaded', what: (source: string) => string): void => {
    for (const [key, entry] of manifest) {
      const total = final[leg].get(key);
      if (total === undefined) continue;
      needed += entry.size;
      moved += total;
      const interruptions = faults.filter((f) => {
        const before = f.counters[leg].get(key) ?? 0;
        return (before > 0 || f.armed) && before < total;
      }).length;
      const inFlight = leg === 'downloaded' ? (lostInFlight.get(key) ?? 0) : 0;
      report.lostInFlight += inFlight;
      const extra = total - inFlight - entry.size;
      if (leg === 'uploaded' && extra > 0) {
        resent += extra;
        maxPerKill = Math.max(maxPerKill, extra / Math.max(1, interruptions));
      }
      const allowance = leg === 'uploaded' ? (upload.resumes ? upload.allowance : Math.max(upload.allowance, entry.size)) : RESEND_ALLOWANCE;
      // One allowance even without a fault: links resend on their own (MAVFTP re-requests lost chunks).
      if (extra > Math.max(1, interruptions) * allowance) {
        if (excuses.all || excuses.keys.has(key)) report.excusedRestarts++;
        else {
          report.restartedFromZero++;
          if (known.keys.has(key)) report.knownIssues.restartsFromThem++;
          const lost = inFlight > 0 ? ` (${inFlight} of them never left the sockets' buffers)` : '';
          problem(report, `${what(entry.source.catalogId)} ${entry.source.catalogId}:${entry.path}: ${total} bytes for ${entry.size} across ${interruptions} interruption(s)${lost}`);
        }
      }
    }
  };
  perFile('uploaded', () => upload.receiver);
  if (report.s3) report.s3 = { ...report.s3, resentBytes: resent, maxResentPerKill: Math.round(maxPerKill) };
  perFile('downloaded', (source) => (source === 'px4' ? 'PX4 served' : `${source} sent`));
  report.bytesNeeded = needed;
  report.bytesMoved = moved;
  report.extraBytesRatio = needed === 0 ? 0 : Math.round((moved / needed - 1) * 10_000) / 10_000;
}

export { manifestKey };
