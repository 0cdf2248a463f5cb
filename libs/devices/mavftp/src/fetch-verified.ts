import { PermanentError, createHasher } from '@filesync/core';
import type { MavftpClient } from './ftp-client';

export interface FetchVerifiedOptions {
  /** Whole-file attempts before the file is given up as `checksum-mismatch` (permanent). */
  readonly attempts?: number;
  readonly signal?: AbortSignal;
  /** Called before each attempt; a re-fetch starts over, so the sink must drop what it had. */
  readonly onAttempt?: (attempt: number) => void | Promise<void>;
}

export interface FetchVerifiedResult {
  readonly bytes: number;
  /** PX4 CRC-32 as 8 hex digits, equal on both sides. */
  readonly crc: string;
  readonly attempts: number;
}

/**
 * Downloads a file and checks it against the autopilot's CalcFileCRC32; on a mismatch the file is
 * fetched again, and after `attempts` mismatches it fails permanently (`checksum-mismatch`).
 * For the CLI and tests; the pipeline does the same with staged files and `Source.checksum`.
 */
export async function fetchVerified(
  client: MavftpClient,
  path: string,
  sink: (chunk: Uint8Array, offset: number) => void | Promise<void>,
  options: FetchVerifiedOptions = {},
): Promise<FetchVerifiedResult> {
  const attempts = options.attempts ?? 3;
  let last = { local: '', remote: '' };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    await options.onAttempt?.(attempt);
    const hasher = createHasher('mavlink-crc32');
    let at = 0;
    for await (const chunk of client.readFile(path, 0, options.signal ? { signal: options.signal } : {})) {
      hasher.update(chunk);
      await sink(chunk, at);
      at += chunk.length;
    }
    const local = hasher.digest();
    const remote = (await client.crc32(path)).toString(16).padStart(8, '0');
    if (local === remote) return { bytes: at, crc: local, attempts: attempt };
    last = { local, remote };
  }
  throw new PermanentError('checksum-mismatch', `${path}: CRC32 ${last.local} of the downloaded bytes differs from the autopilot's ${last.remote} after ${attempts} attempts`, {
    detail: { path, local: last.local, remote: last.remote, attempts },
  });
}
