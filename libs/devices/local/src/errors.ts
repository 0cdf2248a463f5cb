import { type FilesyncError, PermanentError, classifyError } from '@filesync/core';

/** Local file-system errors: the shared errno table covers them all. */
export function classify(err: unknown): FilesyncError {
  return classifyError(err);
}

/** Runs `fn`, rethrowing what it throws as a classified filesync error. */
export async function classified<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw classify(err);
  }
}

export function notFound(path: string): PermanentError {
  return new PermanentError('not-found', `no such file: ${path}`, { detail: { path } });
}
