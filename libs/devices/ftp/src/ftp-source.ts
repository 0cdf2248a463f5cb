import type { FileInfo } from 'basic-ftp';
import { type ListOptions, type ReadOptions, type Source, type SourceEntry, type SourceFeatures, type SourceStat, WalkGuard, isTransient, systemClock } from '@filesync/core';
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

/** A directory waiting to be listed, with its ancestors' listings (to see a symlink loop). */
interface PendingDir {
  readonly abs: string;
  readonly depth: number;
  readonly ancestors: readonly { readonly abs: string; readonly fingerprint: string }[];
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

  /** Rejects (550) when the server will not enter `absDir`; the session is left in its home directory. */
  async function enterable(session: FtpSession, absDir: string): Promise<void> {
    await session.client.cd(absDir);
    await session.client.cd(session.home);
  }

  /**
   * Depth first. A directory below the root the server refuses to list (550) is a problem and the
   * walk goes on; a fault of the connection ends the listing (retried as a whole). FTP has no
   * inodes, and a server that follows symlinks lists a directory loop as plain directories: a
   * directory whose listing is the same as one of its ancestors' (names, kinds, sizes and dates) is
   * taken for that ancestor again and not walked; `WALK_LIMITS` bound the rest.
   */
  async function* walk(listOptions?: ListOptions): AsyncGenerator<SourceEntry> {
    const guard = new WalkGuard(listOptions?.onProblem ?? (() => undefined));
    const root = await pool.use(async (session) => rootOf(session));
    const relOf = (abs: string): string => (abs === root ? '' : relativeTo(root, abs));
    const pending: PendingDir[] = [{ abs: root, depth: 0, ancestors: [] }];
    const seen = new Set<string>();
    for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
      const current = dir;
      const rel = relOf(current.abs);
      // Each directory is listed and released before its entries are yielded, so a slow consumer
      // never holds a connection.
      let listed: { entries: SourceEntry[]; dirs: string[]; fingerprint: string } | undefined;
      try {
        listed = await pool.use(async (session) => {
          const infos = (await listCommand.list(session, current.abs)).filter((info) => info.name !== '.' && info.name !== '..');
          // vsftpd answers LIST of a directory it cannot read with 226 and an empty listing, or one
          // naming the directory itself (as `ls -d`): such a listing is confirmed with CWD, which the
          // server then refuses (550).
          const suspect = infos.length === 0 || (infos.length === 1 && infos[0]?.name === current.abs.slice(current.abs.lastIndexOf('/') + 1));
          if (suspect && current.depth > 0) await enterable(session, current.abs);
          const fingerprint = infos
            .map((info) => `${info.type}:${info.name}:${info.size}:${info.rawModifiedAt}`)
            .sort()
            .join('/');
          if (current.ancestors.some((a) => a.fingerprint === fingerprint)) return { entries: [], dirs: [], fingerprint };
          const found: SourceEntry[] = [];
          const dirs: string[] = [];
          for (const info of infos) {
            if (!guard.counted()) break;
            const abs = `${current.abs === '/' ? '' : current.abs}/${info.name}`;
            if (info.isDirectory) dirs.push(abs);
            else if (info.isFile) {
              const path = relativeTo(root, abs);
              found.push({ path, size: info.size, mtimeMs: await mtimeOf(session, info, abs, path) });
            }
          }
          return { entries: found, dirs, fingerprint };
        });
      } catch (err) {
        if (current.depth === 0 || isTransient(err)) throw err;
        guard.report({ path: rel, scope: 'tree', reason: (err as Error).message });
        continue;
      }
      const again = current.ancestors.find((a) => a.fingerprint === listed.fingerprint);
      if (again) {
        guard.cycle(rel, relOf(again.abs));
        continue;
      }
      const ancestors = [...current.ancestors, { abs: current.abs, fingerprint: listed.fingerprint }];
      for (const abs of listed.dirs) {
        if (guard.mayEnter(relOf(abs), current.depth + 1)) pending.push({ abs, depth: current.depth + 1, ancestors });
      }
      for (const entry of listed.entries) seen.add(entry.path);
      yield* listed.entries;
    }
    times.keepOnly(seen);
  }

  const source = {
    id: options.id,
    get features() {
      return features;
    },
    describe: () => ({ id: options.id, url: pool.endpoint.display, user: pool.endpoint.user, secure: pool.endpoint.secure }),
    list: (listOptions?: ListOptions) => walk(listOptions),
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
