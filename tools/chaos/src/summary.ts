import type { S3Figures } from './invariants';
import { type RoundResult, roundPassed } from './round';

/** The runner's closing line: totals over every round (the first seven keys are the issue's). */
export interface ChaosSummary {
  readonly scenario: string;
  readonly faults: number;
  readonly files: number;
  readonly lost: number;
  readonly corrupt: number;
  readonly restartedFromZero: number;
  readonly extraBytesRatio: number;
  readonly rounds: number;
  readonly failedRounds: number;
  readonly failedSeeds: readonly number[];
  readonly removedEarly: number;
  readonly duplicates: number;
  readonly siteCopies: number;
  readonly leftoverParts: number;
  readonly catalogMismatch: number;
  readonly sourceChanged: number;
  readonly forgotten: number;
  readonly timedOut: number;
  readonly knownIssues: { readonly sealedBeforeRecord: number; readonly uploadedNotDelivered: number; readonly phantomVersion: number; readonly restartsFromThem: number };
  readonly downloadResets: number;
  readonly uploadResets: number;
  readonly excusedRestarts: number;
  readonly agentStarts: number;
  readonly bytesNeeded: number;
  readonly bytesMoved: number;
  readonly lostInFlight: number;
  readonly phases: Record<string, number>;
  /** Rounds with an S3 store: bytes re-sent summed, the most one upload got again per kill (the maximum over rounds), uploads left open summed. */
  readonly s3?: S3Figures;
  readonly seconds: number;
}

function s3Totals(rounds: readonly RoundResult[]): S3Figures | undefined {
  const figures = rounds.flatMap((r) => (r.s3 ? [r.s3] : []));
  if (figures.length === 0) return undefined;
  return {
    partBytes: Math.max(...figures.map((f) => f.partBytes)),
    partsInFlight: Math.max(...figures.map((f) => f.partsInFlight)),
    resentBytes: figures.reduce((n, f) => n + f.resentBytes, 0),
    maxResentPerKill: Math.max(...figures.map((f) => f.maxResentPerKill)),
    openUploads: figures.reduce((n, f) => n + f.openUploads, 0),
  };
}

export function summarize(scenario: string, rounds: readonly RoundResult[], seconds: number): ChaosSummary {
  const sum = (f: (r: RoundResult) => number): number => rounds.reduce((n, r) => n + f(r), 0);
  const needed = sum((r) => r.bytesNeeded);
  const moved = sum((r) => r.bytesMoved);
  const phases: Record<string, number> = {};
  for (const r of rounds) for (const [k, v] of Object.entries(r.phases)) phases[k] = (phases[k] ?? 0) + v;
  const failed = rounds.filter((r) => !roundPassed(r));
  const s3 = s3Totals(rounds);
  return {
    scenario,
    faults: sum((r) => r.faults),
    files: sum((r) => r.files),
    lost: sum((r) => r.lost),
    corrupt: sum((r) => r.corrupt),
    restartedFromZero: sum((r) => r.restartedFromZero),
    extraBytesRatio: needed === 0 ? 0 : Math.round((moved / needed - 1) * 10_000) / 10_000,
    rounds: rounds.length,
    failedRounds: failed.length,
    failedSeeds: failed.map((r) => r.seed),
    removedEarly: sum((r) => r.removedEarly),
    duplicates: sum((r) => r.duplicates),
    siteCopies: sum((r) => r.siteCopies),
    leftoverParts: sum((r) => r.leftoverParts),
    catalogMismatch: sum((r) => r.catalogMismatch),
    sourceChanged: sum((r) => r.sourceChanged),
    forgotten: sum((r) => r.forgotten),
    timedOut: sum((r) => Number(r.timedOut)),
    knownIssues: {
      sealedBeforeRecord: sum((r) => r.knownIssues.sealedBeforeRecord),
      uploadedNotDelivered: sum((r) => r.knownIssues.uploadedNotDelivered),
      phantomVersion: sum((r) => r.knownIssues.phantomVersion),
      restartsFromThem: sum((r) => r.knownIssues.restartsFromThem),
    },
    downloadResets: sum((r) => r.downloadResets),
    uploadResets: sum((r) => r.uploadResets),
    excusedRestarts: sum((r) => r.excusedRestarts),
    agentStarts: sum((r) => r.agentStarts),
    bytesNeeded: needed,
    bytesMoved: moved,
    lostInFlight: sum((r) => r.lostInFlight),
    phases,
    ...(s3 ? { s3 } : {}),
    seconds: Math.round(seconds),
  };
}
