import { describe, expect, it } from 'vitest';
import { FILE_STATES, TARGET_STATES, assertFileTransition, assertTargetTransition, canTransitionFile, isTerminalFileState } from './states';
import { PermanentError } from './errors';

describe('file state transitions', () => {
  it('allows the normal path found → downloading → staged → delivered → removed', () => {
    const path = ['found', 'downloading', 'downloading', 'staged', 'delivered', 'removed'] as const;
    for (let i = 1; i < path.length; i++) expect(() => assertFileTransition(path[i - 1]!, path[i]!)).not.toThrow();
  });

  it('refuses to skip staging or to leave a terminal state', () => {
    expect(canTransitionFile('found', 'delivered')).toBe(false);
    expect(canTransitionFile('downloading', 'removed')).toBe(false);
    expect(canTransitionFile('removed', 'found')).toBe(false);
    expect(() => assertFileTransition('staged', 'removed')).toThrow(PermanentError);
    try {
      assertFileTransition('staged', 'removed');
    } catch (err) {
      expect((err as PermanentError).code).toBe('illegal-transition');
    }
  });

  it('lets a removal happen only after delivery', () => {
    const into = FILE_STATES.filter((s) => canTransitionFile(s, 'removed'));
    expect(into).toEqual(['delivered']);
  });

  it('marks only removed and skipped as terminal', () => {
    expect(FILE_STATES.filter(isTerminalFileState)).toEqual(['removed', 'skipped']);
  });

  it('guards target transitions too', () => {
    expect(() => assertTargetTransition('pending', 'uploading')).not.toThrow();
    expect(() => assertTargetTransition('uploaded', 'uploading')).toThrow(/illegal target transition uploaded → uploading/);
    expect(TARGET_STATES.length).toBe(5);
  });
});
