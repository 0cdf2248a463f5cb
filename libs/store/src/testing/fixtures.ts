import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileIdentity, FilesyncError } from '@filesync/core';

/** Unique temp directories for one spec file; `cleanup()` removes them all (call from afterAll). */
export function tempDirs(): { make(): string; cleanup(): void } {
  const made: string[] = [];
  return {
    make() {
      const dir = mkdtempSync(join(tmpdir(), 'filesync-store-'));
      made.push(dir);
      return dir;
    },
    cleanup() {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function identity(n: number, overrides: Partial<FileIdentity> = {}): FileIdentity {
  return { sourceId: 'px4', path: `log/${String(n).padStart(5, '0')}.ulg`, size: 1000 + n, mtimeMs: 1_700_000_000_000 + n, ...overrides };
}

/** What the store threw from `fn`, which must throw (a test of an error reads its class and code). */
export function errorOf(fn: () => unknown): FilesyncError {
  try {
    fn();
  } catch (err) {
    return err as FilesyncError;
  }
  throw new Error('expected a throw');
}
