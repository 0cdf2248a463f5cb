import { Readable } from 'node:stream';
import {
  type CollisionPolicy,
  type CommitReceipt,
  type ExpectedContent,
  type HashName,
  MAX_COLLISION_SUFFIX,
  PermanentError,
  type ReadOptions,
  type Target,
  type TargetFeatures,
  TransientError,
  MAX_NAME_BYTES,
  collisionName,
  inTransitPath,
} from '@filesync/core';
import { FtpConnectionPool, type FtpSession } from './connection-pool';
import { ftpCode } from './errors';
import type { FtpConnectionOptions } from './options';
import { parentOf, remotePath } from './paths';
import { downloadHash, downloadStream, ensureDir, notFound, remoteSize, serverHash } from './remote-ops';

export interface FtpTargetOptions extends FtpConnectionOptions {
  readonly id: string;
  /** Directory below the URL's directory under which files are placed; default "". */
  readonly dir?: string;
  /** Suffix of the in-transit name; default `.part`. */
  readonly partSuffix?: string;
  /** What to do when a different file holds the final name; default `rename`. */
  readonly collision?: CollisionPolicy;
  /** Set false to never resume (every upload starts at 0); default true where the server has SIZE. */
  readonly resume?: boolean;
  /** How a resumed upload continues: `APPE` (default; falls back to REST+STOR if refused) or `REST+STOR`. */
  readonly resumeWith?: 'APPE' | 'REST+STOR';
}

/** An FTP target with its connection pool exposed to the device's own tests. */
export interface FtpTarget extends Target {
  /** Where it uploads to, without credentials (safe for status pages and logs). */
  describe(): { id: string; url: string; user: string; secure: false | 'explicit' | 'implicit' };
}

/**
 * An FTP server as a target: uploads to `name.part`, resumes from the server's own SIZE with APPE
 * (or REST+STOR), renames into place only when the size (and a server SHA-256 where offered)
 * matches, recognises a rename whose reply was lost, and never overwrites a different file unless
 * the policy says so.
 */
export function createFtpTarget(options: FtpTargetOptions): FtpTarget {
  const suffix = options.partSuffix ?? '.part';
  const policy = options.collision ?? 'rename';
  let features: TargetFeatures = { canResume: options.resume !== false, atomicCommit: true, hashes: [], parallelism: 1 };
  let warnedNoResume = false;
  const pool = new FtpConnectionPool(options, options.dir ?? '', (server) => {
    // Features are refined once, from the first login's FEAT (rclone's NewFs does the same).
    const canResume = options.resume !== false && server.size;
    const hashes: HashName[] = server.hashes.has('sha256') ? ['sha256'] : [];
    features = { canResume, atomicCommit: true, hashes, parallelism: 1 };
  });
  const knownDirs = new Set<string>();
  const finalPath = (session: FtpSession, path: string): string => remotePath(session.home, pool.endpoint.dir, path);
  /** `name.part`, or a short hidden name when that would exceed the server's 255-byte name limit. */
  const partPathOf = (session: FtpSession, path: string): string => inTransitPath(finalPath(session, path), suffix);

  function warnNoResume(path: string): void {
    if (warnedNoResume) return;
    warnedNoResume = true;
    const why = options.resume === false ? 'resume is switched off in the config' : `${pool.endpoint.display} offers no SIZE/REST`;
    pool.log('warn', `${why}: uploads restart from zero`, { target: options.id, path });
  }

  /** Same content as `expected`? Server SHA-256 where offered, else a download hashed here. */
  async function holds(session: FtpSession, absPath: string, expected: ExpectedContent): Promise<boolean> {
    if ((await remoteSize(session, absPath)) !== expected.size) return false;
    const digest = (await serverHash(session, absPath, 'sha256', expected.size)) ?? (await downloadHash(session, absPath, 'sha256'));
    return digest === expected.sha256;
  }

  /** Where a previous commit of this content may have put it: the name itself or a suffixed one. */
  async function findCommitted(session: FtpSession, path: string, expected: ExpectedContent): Promise<string | undefined> {
    if (await holds(session, finalPath(session, path), expected)) return path;
    if (policy !== 'rename') return undefined;
    for (let n = 1; n <= MAX_COLLISION_SUFFIX; n++) {
      const candidate = collisionName(path, n);
      if ((await remoteSize(session, finalPath(session, candidate))) === undefined) return undefined;
      if (await holds(session, finalPath(session, candidate), expected)) return candidate;
    }
    return undefined;
  }

  async function freeName(session: FtpSession, path: string): Promise<string> {
    for (let n = 1; n <= MAX_COLLISION_SUFFIX; n++) {
      const candidate = collisionName(path, n);
      if ((await remoteSize(session, finalPath(session, candidate))) === undefined) return candidate;
    }
    throw new PermanentError('conflict', `no free name for ${path} after ${MAX_COLLISION_SUFFIX} tries`);
  }

  /**
   * RNFR/RNTO, then, if the server refused, a look at what is really there: the seed tool retried
   * a `550` on RNFR forever although the rename had happened. Final name with our size and no
   * `.part` = done; `.part` gone and no final = lost copy (upload again); both there = try later.
   */
  async function moveIntoPlace(session: FtpSession, path: string, location: string, expected: ExpectedContent): Promise<void> {
    const from = partPathOf(session, path);
    const to = finalPath(session, location);
    try {
      await session.client.rename(from, to);
      return;
    } catch (err) {
      if (ftpCode(err) === undefined) throw err; // connection lost: the next commit finds out what happened
      const partLeft = await remoteSize(session, from);
      if (partLeft === undefined && (await remoteSize(session, to)) === expected.size) return;
      if (partLeft === undefined) throw new TransientError('conflict', `in-transit copy of ${path} vanished during rename; upload it again`);
      const nameBytes = Buffer.byteLength(to.slice(to.lastIndexOf('/') + 1), 'utf8');
      if (nameBytes > MAX_NAME_BYTES) {
        // Refused for good, not busy: retrying would loop for ever. The name is never shortened into another one.
        await discardPart(session, path);
        throw new PermanentError('bad-request', `${pool.endpoint.display} refused the name ${location} (${ftpCode(err)}): it is ${nameBytes} bytes, longer than the ${MAX_NAME_BYTES} a file name may have`, {
          detail: { ftpCode: ftpCode(err), path: location, nameBytes },
        });
      }
      throw new TransientError('busy', `server refused to rename the in-transit copy of ${path} (${ftpCode(err)}); will retry`, {
        detail: { ftpCode: ftpCode(err), path },
      });
    }
  }

  async function discardPart(session: FtpSession, path: string): Promise<void> {
    await session.client.sendIgnoringError(`DELE ${partPathOf(session, path)}`);
  }

  async function upload(session: FtpSession, path: string, offset: number, data: AsyncIterable<Uint8Array>): Promise<void> {
    const part = partPathOf(session, path);
    await ensureDir(session, parentOf(part), knownDirs);
    if (offset === 0) {
      try {
        await session.client.uploadFrom(Readable.from(data), part);
      } catch (err) {
        if (ftpCode(err) !== 550 && ftpCode(err) !== 553) throw err;
        // The directory may have been removed behind our back since we made it. The server refused
        // before its 150 reply, so `data` is still unread: make the directories again and retry once.
        knownDirs.clear();
        await ensureDir(session, parentOf(part), knownDirs);
        await session.client.uploadFrom(Readable.from(data), part);
      }
      return;
    }
    if (!session.features.size || options.resume === false) {
      warnNoResume(path);
      throw new TransientError('conflict', `${pool.endpoint.display} cannot resume; upload ${path} again from 0`, { detail: { offset } });
    }
    const have = (await remoteSize(session, part)) ?? 0;
    if (have !== offset) {
      throw new TransientError('conflict', `in-transit copy of ${path} has ${have} bytes on the server, not ${offset}`, { detail: { have, offset } });
    }
    if (options.resumeWith !== 'REST+STOR') {
      try {
        await session.client.appendFrom(Readable.from(data), part);
        return;
      } catch (err) {
        const code = ftpCode(err);
        if (code !== 500 && code !== 502 && code !== 504) throw err;
        // APPE refused before any data moved: the same iterable is still unread, so REST+STOR can use it.
      }
    }
    await session.client.send(`REST ${offset}`);
    await session.client.uploadFrom(Readable.from(data), part);
  }

  const target = {
    id: options.id,
    get features() {
      return features;
    },
    describe: () => ({ id: options.id, url: pool.endpoint.display, user: pool.endpoint.user, secure: pool.endpoint.secure }),
    stat: (path: string) =>
      pool.use(async (session) => {
        const size = await remoteSize(session, finalPath(session, path));
        return size === undefined ? undefined : { size };
      }),
    partialSize: (path: string) =>
      pool.use(async (session) => {
        if (!session.features.size || options.resume === false) {
          warnNoResume(path);
          return 0;
        }
        return (await remoteSize(session, partPathOf(session, path))) ?? 0;
      }),
    write: (path: string, offset: number, data: AsyncIterable<Uint8Array>, writeOptions?: ReadOptions) =>
      pool.use((session) => upload(session, path, offset, data), writeOptions?.signal ? { transfer: true, signal: writeOptions.signal } : { transfer: true }),
    commit: (path: string, expected: ExpectedContent): Promise<CommitReceipt> =>
      pool.use(async (session) => {
        const part = partPathOf(session, path);
        const partSize = await remoteSize(session, part);
        if (partSize === undefined) {
          const previous = await findCommitted(session, path, expected);
          if (previous !== undefined) return { location: previous, outcome: 'already-present' };
          throw new TransientError('conflict', `in-transit copy of ${path} is missing on the server; upload it again`);
        }
        const digest = partSize === expected.size ? await serverHash(session, part, 'sha256', partSize) : undefined;
        if (partSize !== expected.size || (digest !== undefined && digest !== expected.sha256)) {
          await discardPart(session, path);
          throw new PermanentError(
            'checksum-mismatch',
            `in-transit copy of ${path} does not match (size ${partSize}, expected ${expected.size}${digest === undefined ? '' : ', server sha256 differs'})`,
            { detail: { size: partSize, expected: expected.size } },
          );
        }
        if ((await remoteSize(session, finalPath(session, path))) === undefined) {
          await moveIntoPlace(session, path, path, expected);
          return { location: path, outcome: 'committed' };
        }
        const previous = await findCommitted(session, path, expected);
        if (previous !== undefined) {
          await discardPart(session, path);
          return { location: previous, outcome: 'already-present' };
        }
        switch (policy) {
          case 'overwrite':
            // Not every server lets RNTO replace a file; removing first works everywhere, and a crash in
            // between leaves the `.part` to be committed by the retry.
            await session.client.sendIgnoringError(`DELE ${finalPath(session, path)}`);
            await moveIntoPlace(session, path, path, expected);
            return { location: path, outcome: 'committed' };
          case 'skip':
            await discardPart(session, path);
            return { location: path, outcome: 'skipped' };
          case 'rename': {
            const location = await freeName(session, path);
            await moveIntoPlace(session, path, location, expected);
            return { location, outcome: 'renamed' };
          }
          default:
            return assertNeverPolicy(policy);
        }
      }),
    read: (path: string, readOptions?: ReadOptions) => readFinal(path, readOptions?.signal),
    remove: (path: string) =>
      pool.use(async (session) => {
        try {
          await session.client.remove(finalPath(session, path));
        } catch (err) {
          if (ftpCode(err) === 550) throw notFound(path);
          throw err;
        }
      }),
    close: () => pool.close(),
  } satisfies FtpTarget;

  async function* readFinal(path: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    // The home directory is known only after login; one short session finds the absolute path.
    const abs = await pool.use(async (session) => finalPath(session, path));
    yield* downloadStream(pool, abs, 0, signal);
  }

  return target;
}

function assertNeverPolicy(policy: never): never {
  throw new PermanentError('bad-request', `collision: unknown policy ${JSON.stringify(policy)}`, { detail: { field: 'collision' } });
}
