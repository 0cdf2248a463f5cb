import type { FileInfo } from 'basic-ftp';
import { type ReadOptions, type Source, type SourceEntry, type SourceFeatures, type SourceStat, systemClock } from '@filesync/core';
import { FtpConnectionPool, type FtpSession } from './connection-pool';
import { ftpCode } from './errors';
import { ListCommand } from './list-command';
import { ListingTimes } from './listing-times';
import type { FtpConnectionOptions } from './options';
import { parentOf, relativeTo, remotePath } from './paths';
import { askMdtm, downloadStream, notFound } from './remote-ops';

export interface FtpSourceOptions extends FtpConnectionOptions {
  readonly id: string;
  /** Set false to never ask MDTM when only LIST is offered: no round trips, mtimes at LIST precision (minute; day after six months). */
  readonly mdtm?: boolean;
}

export interface FtpSource extends Source {
  describe(): { id: string; url: string; user: string; secure: false | 'explicit' | 'implicit' };
}

/**
 * An FTP server as a source: lists recursively (MLSD where the server offers MLST, LIST parsed
 * otherwise), reads from an offset with REST, removes with DELE for `move`. A file's listed mtime
 * does not depend on the connection or command that answered (see listing-times.ts).
 */
export function createFtpSource(options: FtpSourceOptions): FtpSource {
  let features: SourceFeatures = { canResume: true, canRemove: true, hashes: [], parallelism: options.maxConnections ?? 2, identity: 'size-mtime' };
  const pool = new FtpConnectionPool(options, '', (server) => {
    features = { ...features, canResume: server.rest || server.size };
  });
  const rootOf = (session: FtpSession): string => remotePath(session.home, pool.endpoint.dir, '');

  // Per source, not per connection: what one connection learnt must hold on the next (see list-command.ts, listing-times.ts).
  const listCommand = new ListCommand();
  const times = new ListingTimes(options.clock ?? systemClock);
  let mdtmOffered = false;
  let mdtmUnsupported = false;

  /** mtime of an entry: MLSD's fact, else MDTM (LIST dates have minute or day precision), else the LIST date. */
  async function mtimeOf(session: FtpSession, info: FileInfo, absPath: string, path: string): Promise<number> {
    if (info.modifiedAt && Number.isFinite(info.modifiedAt.getTime())) return times.fromFacts(path, info.size, info.modifiedAt.getTime());
    if (session.features.mdtm) mdtmOffered = true;
    const useMdtm = mdtmOffered && !mdtmUnsupported && options.mdtm !== false;
    return times.fromList(
      path,
      info.size,
      info.rawModifiedAt,
      useMdtm
        ? async () => {
            const answer = await askMdtm(session, absPath);
            if (answer.kind === 'unsupported' && !mdtmUnsupported) {
              mdtmUnsupported = true;
              pool.log('warn', 'the server refuses MDTM although FEAT offered it: mtimes come from LIST dates (minute precision)', { url: pool.endpoint.display });
            }
            return answer;
          }
        : undefined,
    );
  }

  async function* walk(): AsyncGenerator<SourceEntry> {
    const root = await pool.use(async (session) => rootOf(session));
    const pending = [root];
    const seen = new Set<string>();
    for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
      const current = dir;
      // Each directory is listed and released before its entries are yielded, so a slow consumer
      // never holds a connection.
      const entries = await pool.use(async (session) => {
        const found: SourceEntry[] = [];
        for (const info of await listCommand.list(session, current)) {
          if (info.name === '.' || info.name === '..') continue;
          const abs = `${current === '/' ? '' : current}/${info.name}`;
          if (info.isDirectory) pending.push(abs);
          else if (info.isFile) {
            const path = relativeTo(root, abs);
            found.push({ path, size: info.size, mtimeMs: await mtimeOf(session, info, abs, path) });
          }
        }
        return found;
      });
      for (const entry of entries) seen.add(entry.path);
      yield* entries;
    }
    times.keepOnly(seen);
  }

  const source = {
    id: options.id,
    get features() {
      return features;
    },
    describe: () => ({ id: options.id, url: pool.endpoint.display, user: pool.endpoint.user, secure: pool.endpoint.secure }),
    list: () => walk(),
    read: (path: string, offset: number, readOptions?: ReadOptions) => readFrom(path, offset, readOptions?.signal),
    remove: (path: string) =>
      pool.use(async (session) => {
        try {
          await session.client.remove(remotePath(session.home, pool.endpoint.dir, path));
        } catch (err) {
          if (ftpCode(err) === 550) throw notFound(path);
          throw err;
        }
      }),
    stat: (path: string) => statOf(path),
    close: () => pool.close(),
  } satisfies FtpSource;

  /**
   * The file's line in a fresh listing of its directory, with the mtime `list` would give it (same
   * MLSD fact or MDTM, same per-source memory), so equal means the same version as far as FTP can tell.
   */
  async function statOf(path: string): Promise<SourceStat> {
    return pool.use(async (session) => {
      const abs = remotePath(session.home, pool.endpoint.dir, path);
      const dir = parentOf(abs);
      const name = abs.slice(dir === '/' ? 1 : dir.length + 1);
      let infos: FileInfo[];
      try {
        infos = await listCommand.list(session, dir);
      } catch (err) {
        if (ftpCode(err) === 550) throw notFound(path);
        // Some servers (ftp-srv) answer a listing of a missing directory with 451: SIZE tells
        // "no such file" (550) apart from a real fault, which stands.
        const missing = await session.client.size(abs).then(
          () => false,
          (sizeErr: unknown) => ftpCode(sizeErr) === 550,
        );
        if (missing) throw notFound(path);
        throw err;
      }
      const info = infos.find((i) => i.name === name && i.isFile);
      if (!info) throw notFound(path);
      return { size: info.size, mtimeMs: await mtimeOf(session, info, abs, path) };
    });
  }

  async function* readFrom(path: string, offset: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    // A read kept running since the last slice needs no connection to find its path (both may be taken).
    const abs = pool.parked.absPathOf(path, offset) ?? (await pool.use(async (session) => remotePath(session.home, pool.endpoint.dir, path)));
    yield* downloadStream(pool, abs, offset, signal, path);
  }

  return source;
}
