import { PermanentError } from './errors';

/**
 * Per-file states, in the order a file normally takes them:
 * found → downloading → staged → delivered → removed (only under `move`),
 * with the side states vanished, failed and skipped.
 */
export const FILE_STATES = ['found', 'downloading', 'staged', 'delivered', 'removed', 'vanished', 'failed', 'skipped'] as const;
export type FileState = (typeof FILE_STATES)[number];

/** Per-(file, target) states: pending → uploading → uploaded, with failed and skipped (name collision under `skip`). */
export const TARGET_STATES = ['pending', 'uploading', 'uploaded', 'failed', 'skipped'] as const;
export type TargetState = (typeof TARGET_STATES)[number];

const FILE_TRANSITIONS: Readonly<Record<FileState, readonly FileState[]>> = {
  found: ['downloading', 'vanished', 'failed', 'skipped'],
  // downloading → downloading records progress; → found restarts a download whose staged copy was lost.
  downloading: ['downloading', 'staged', 'found', 'vanished', 'failed'],
  // staged → found: the staged bytes were lost or corrupted before every target had them.
  staged: ['delivered', 'found', 'failed'],
  delivered: ['removed'],
  removed: [],
  // A vanished file that shows up again, or is found on the targets, goes on.
  vanished: ['found', 'delivered', 'failed'],
  // failed → found is the retry (`filesync retry`).
  failed: ['found'],
  skipped: [],
};

const TARGET_TRANSITIONS: Readonly<Record<TargetState, readonly TargetState[]>> = {
  pending: ['uploading', 'uploaded', 'skipped', 'failed'],
  // uploading → pending: the target lost its partial copy; the upload starts again and says so.
  // uploading → skipped: at commit a different file held the name and the policy is `skip`.
  uploading: ['uploading', 'uploaded', 'pending', 'failed', 'skipped'],
  uploaded: [],
  failed: ['pending'],
  skipped: [],
};

export function canTransitionFile(from: FileState, to: FileState): boolean {
  return FILE_TRANSITIONS[from].includes(to);
}

export function canTransitionTarget(from: TargetState, to: TargetState): boolean {
  return TARGET_TRANSITIONS[from].includes(to);
}

export function assertFileTransition(from: FileState, to: FileState): void {
  if (!canTransitionFile(from, to)) {
    throw new PermanentError('illegal-transition', `illegal file transition ${from} → ${to}`, { detail: { from, to } });
  }
}

export function assertTargetTransition(from: TargetState, to: TargetState): void {
  if (!canTransitionTarget(from, to)) {
    throw new PermanentError('illegal-transition', `illegal target transition ${from} → ${to}`, { detail: { from, to } });
  }
}

export function isTerminalFileState(state: FileState): boolean {
  return FILE_TRANSITIONS[state].length === 0;
}
