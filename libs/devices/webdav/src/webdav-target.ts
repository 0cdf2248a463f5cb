import { type CommitReceipt, type ExpectedContent, MAX_COLLISION_SUFFIX, PermanentError, type ReadOptions, type Target, type TargetFeatures, TransientError, collisionName, createHasher, inTransitPath } from '@filesync/core';
import { devicePassword } from '@filesync/core/config';
import { probeContentRange } from './content-range-probe';
import { DavClient } from './dav-client';
import { classifyStatus } from './errors';
import { DEFAULT_TIMEOUT_MS, type WebdavTargetOptions, resolveEndpoint, secretForms } from './options';
import { segmentsOf, urlOf } from './paths';
import { type DavStat, PROPFIND_BODY, parseStat } from './propfind';

/** A WebDAV target with a description that is safe to show (no credentials). */
export interface WebdavTarget extends Target {
  probe(): Promise<void>;
  read(path: string, options?: ReadOptions): AsyncIterable<Uint8Array>;
  remove(path: string): Promise<void>;
  describe(): { id: string; url: string; user: string | undefined; resume: ResumeMode };
}

/**
 * How an interrupted upload continues: Sabre's PATCH where the DAV header announces it, a PUT with
 * Content-Range where a probe proved the server honours it (Apache), else not at all (rclone).
 */
export type ResumeMode = 'sabredav-partialupdate' | 'content-range' | 'none';

/** Sabre/dav (Nextcloud, ownCloud) announces partial updates (PATCH + `X-Update-Range`) in its DAV header. */
const SABRE_PARTIAL_UPDATE = 'sabredav-partialupdate';

type Segments = readonly string[];

/**
 * Largest piece sent in one request where the server can append (held in memory: its length goes
 * first). 1 MiB: what a crash may make us send again, as for the staging checkpoints (ARCHITECTURE.md).
 */
export const PIECE_BYTES = 1024 * 1024;

/**
 * A WebDAV server as a target (tested against Debian's `rclone serve webdav`):
 * - `write` MKCOLs the missing folders, then PUTs to the in-transit name (`name.part`). Where the
 *   server can append (Sabre's `PATCH` announced, or `PUT` + `Content-Range` proven by a probe) it goes
 *   in 1 MiB pieces and resumes from the server's size of `name.part`; otherwise the target declares
 *   `canResume: false` and every upload starts from zero.
 * - `commit` proves the in-transit copy before it gets the final name: its size from PROPFIND and its
 *   SHA-256 from the server's `oc:checksums` where offered, else by reading it back and hashing it
 *   here. Then `MOVE` with `Overwrite: F`, so the server itself refuses (412) when a file holds the
 *   name; that file is compared with ours (same content = done) and the collision policy decides.
 */
export function createWebdavTarget(options: WebdavTargetOptions): WebdavTarget {
  const suffix = options.partSuffix ?? '.part';
  const policy = options.collision ?? 'rename';
  const endpoint = resolveEndpoint(options);
  const display = endpoint.base.href;
  let secrets: string[] = [];
  const redact = (text: string): string => secrets.reduce((t, s) => t.split(s).join('***'), text);
  let authorization: string | undefined;
  const client = new DavClient({
    authorization: () => authorization,
    redact,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    // A refused password may have been rotated in its file or variable: the next call connects again and reads it anew.
    onStatus: (status) => {
      if (status === 401) connecting = undefined;
    },
  });
  // Declared as configured until the first connect refines it (as the FTP target does): the uploader
  // reads canResume before its first call, and a pessimistic default made the first upload after every
  // restart start from zero on a server that resumes. Where the server cannot, partialSize (which
  // connects first) answers 0.
  let features: TargetFeatures = { canResume: options.resume !== false, atomicCommit: true, hashes: [], parallelism: 1 };
  let resumeMode: ResumeMode = 'none';
  let connecting: Promise<void> | undefined;
  const knownDirs = new Set<string>();
  const log = (level: 'debug' | 'info' | 'warn', message: string, fields?: Record<string, unknown>): void =>
    options.log?.(level, redact(message), fields === undefined ? undefined : { target: options.id, ...fields });

  /**
   * Connects once, failing early with a clear reason (rclone's NewFs does the same): the password is
   * found, the base collection must exist and accept the credentials, and the DAV header tells
   * whether partial updates are offered. A transient failure lets the next call try again.
   */
  function ready(): Promise<void> {
    connecting ??= connect().catch((err: unknown) => {
      connecting = undefined;
      throw err;
    });
    return connecting;
  }

  async function connect(): Promise<void> {
    const password = devicePassword(options, endpoint.urlPassword);
    secrets = secretForms(endpoint.user, password);
    if (endpoint.user !== undefined || password !== undefined) {
      authorization = `Basic ${Buffer.from(`${endpoint.user ?? ''}:${password ?? ''}`).toString('base64')}`;
    }
    const base = await statAt([], true);
    if (base === undefined) {
      throw new PermanentError('not-found', `${display} does not exist on the server; create it or point url at an existing folder`, { detail: { url: display } });
    }
    if (!base.collection) throw new PermanentError('bad-request', `${display} is a file, not a folder`, { detail: { url: display } });
    const answer = await client.call({ method: 'OPTIONS', url: endpoint.base });
    const dav = (answer.headers.get('dav') ?? '').toLowerCase();
    const sabre = dav.split(',').some((c) => c.trim() === SABRE_PARTIAL_UPDATE);
    if (options.resume === false) resumeMode = 'none';
    else if (sabre) resumeMode = SABRE_PARTIAL_UPDATE;
    else resumeMode = (await probeContentRange(client, endpoint.base, options.id)) ? 'content-range' : 'none';
    features = { canResume: resumeMode !== 'none', atomicCommit: true, hashes: [], parallelism: 1 };
    if (!features.canResume) {
      const why = options.resume === false ? 'resume is switched off in the config' : `${display} offers no partial updates (neither ${SABRE_PARTIAL_UPDATE} nor PUT with Content-Range)`;
      log('info', `${why}: an interrupted upload is sent again from zero`);
    }
  }

  const finalOf = (path: string): Segments => [...endpoint.dir, ...segmentsOf(path)];
  /** `name.part` beside the final name, or a short hidden name when that would exceed 255 bytes. */
  function partOf(path: string): Segments {
    const final = finalOf(path);
    return [...final.slice(0, -1), inTransitPath(final[final.length - 1] ?? '', suffix)];
  }
  const urlAt = (segments: Segments, collection = false): URL => urlOf(endpoint.base, segments, collection && segments.length > 0);
  const shown = (segments: Segments): string => segments.join('/');

  async function statAt(segments: Segments, collection = false): Promise<DavStat | undefined> {
    const answer = await client.call({
      method: 'PROPFIND',
      url: urlAt(segments, collection),
      headers: { depth: '0', 'content-type': 'application/xml; charset=utf-8' },
      body: PROPFIND_BODY,
    });
    if (answer.status === 404) return undefined;
    if (answer.status !== 207) throw classifyStatus(answer.status, `PROPFIND ${shown(segments) || '/'}`, answer.body);
    return parseStat(answer.body);
  }

  /** The size of a file (not a folder) at `segments`, or undefined. */
  async function fileSize(segments: Segments): Promise<number | undefined> {
    const stat = await statAt(segments);
    return stat === undefined || stat.collection ? undefined : stat.size;
  }

  /** Makes the folders above `segments`, top-down, once per process (a 405 means it is there). */
  async function ensureParents(segments: Segments): Promise<void> {
    for (let depth = 1; depth < segments.length; depth++) {
      const dir = segments.slice(0, depth);
      const key = shown(dir);
      if (knownDirs.has(key)) continue;
      const answer = await client.call({ method: 'MKCOL', url: urlAt(dir, true) });
      // 201 made; 405 already there (RFC 4918 §9.3.1); rclone answers 201 for an existing folder too.
      if (answer.status !== 201 && answer.status !== 405 && answer.status !== 200) {
        if (answer.status === 409) {
          throw new TransientError('conflict', `MKCOL ${key}: its parent vanished while making folders; will retry`, { detail: { status: 409 } });
        }
        throw classifyStatus(answer.status, `MKCOL ${key}`, answer.body);
      }
      knownDirs.add(key);
    }
  }

  /** A PUT of the whole in-transit copy (streamed) or of its first piece (when the server can append). */
  async function put(path: string, data: AsyncIterable<Uint8Array> | Uint8Array, signal: AbortSignal | undefined): Promise<void> {
    const part = partOf(path);
    const made = !part.slice(0, -1).every((_, i) => knownDirs.has(shown(part.slice(0, i + 1))));
    await ensureParents(part);
    let status: number;
    let body: string;
    try {
      ({ status, body } = await client.call({ method: 'PUT', url: urlAt(part), headers: { 'content-type': 'application/octet-stream' }, body: data, signal }));
    } catch (err) {
      // A server may answer (409, 507…) and close before reading the body, which fetch reports as a
      // lost connection: forget the folders, so the retry makes them again if that was the cause.
      knownDirs.clear();
      throw err;
    }
    if (status === 200 || status === 201 || status === 204) return;
    if (status === 404 || status === 409) {
      knownDirs.clear();
      if (made) {
        throw new PermanentError('not-found', `PUT ${shown(part)}: HTTP ${status}, the server refuses the file although MKCOL made its folder`, { detail: { status } });
      }
      throw new TransientError('conflict', `PUT ${shown(part)}: HTTP ${status}, its folder was removed behind our back; will make it again`, { detail: { status } });
    }
    throw classifyStatus(status, `PUT ${shown(part)}`, body);
  }

  /**
   * Writes in pieces of at most PIECE_BYTES where the server can append, so that each answered piece
   * is durable and a crash re-sends at most one piece: the first piece (at 0) by a plain PUT, each
   * later one by Sabre's partial update (`PATCH`, `X-Update-Range: append`) or a `PUT` with
   * `Content-Range: bytes FROM-TO/*`. Both need a piece's length before its bytes, hence pieces. A
   * write at `offset > 0` first checks the in-transit copy is exactly `offset` long.
   */
  async function writePieces(path: string, offset: number, data: AsyncIterable<Uint8Array>, signal: AbortSignal | undefined): Promise<void> {
    const part = partOf(path);
    if (offset > 0) {
      const have = (await fileSize(part)) ?? 0;
      if (have !== offset) {
        throw new TransientError('conflict', `in-transit copy of ${path} has ${have} bytes on the server, not ${offset}`, { detail: { have, offset } });
      }
    }
    let at = offset;
    const send = async (piece: Uint8Array): Promise<void> => {
      if (at === 0) {
        await put(path, piece, signal);
        at = piece.length;
        return;
      }
      const answer =
        resumeMode === 'content-range'
          ? await client.call({ method: 'PUT', url: urlAt(part), headers: { 'content-range': `bytes ${at}-${at + piece.length - 1}/*` }, body: piece, signal })
          : await client.call({
              method: 'PATCH',
              url: urlAt(part),
              headers: { 'content-type': 'application/x-sabredav-partialupdate', 'x-update-range': 'append' },
              body: piece,
              signal,
            });
      if (answer.status < 200 || answer.status > 299) throw classifyStatus(answer.status, `${resumeMode === 'content-range' ? 'PUT (Content-Range)' : 'PATCH'} ${shown(part)}`, answer.body);
      at += piece.length;
    };
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    for await (const chunk of data) {
      for (let from = 0; from < chunk.length; ) {
        const take = Math.min(chunk.length - from, PIECE_BYTES - pendingBytes);
        pending.push(chunk.subarray(from, from + take));
        pendingBytes += take;
        from += take;
        if (pendingBytes === PIECE_BYTES) {
          await send(Buffer.concat(pending));
          pending = [];
          pendingBytes = 0;
        }
      }
    }
    // The last piece, or an empty file's one PUT.
    if (pendingBytes > 0 || at === 0) await send(Buffer.concat(pending));
  }

  /**
   * SHA-256 of a file as the server stores it: read back and hashed here, or the server's own
   * checksum when `serverSum` allows it. Only for the `.part` we just PUT: there the checksum can only
   * be the server's (we send no `OC-Checksum`), while on a file someone else uploaded it may be what
   * their client claimed (Nextcloud stores that unverified), and a false "same content" would let a
   * move delete the source file.
   */
  async function storedSha256(segments: Segments, stat: DavStat, serverSum: 'trust-server-sum' | 'read-back'): Promise<string | undefined> {
    if (serverSum === 'trust-server-sum' && stat.sha256 !== undefined) return stat.sha256;
    const answer = await client.open({ method: 'GET', url: urlAt(segments) });
    if (answer.status === 404) {
      await answer.discard();
      return undefined;
    }
    if (answer.status !== 200) {
      await answer.discard();
      throw classifyStatus(answer.status, `GET ${shown(segments)}`);
    }
    const hasher = createHasher('sha256');
    for await (const chunk of answer.chunks) hasher.update(chunk);
    return hasher.digest();
  }

  /** Same content as `expected` at `segments`? */
  async function holds(segments: Segments, expected: ExpectedContent): Promise<boolean> {
    const stat = await statAt(segments);
    if (stat === undefined || stat.collection || stat.size !== expected.size) return false;
    return (await storedSha256(segments, stat, 'read-back')) === expected.sha256;
  }

  /** Where a previous commit of this content may have put it: the name itself or a suffixed one. */
  async function findCommitted(path: string, expected: ExpectedContent): Promise<string | undefined> {
    if (await holds(finalOf(path), expected)) return path;
    if (policy !== 'rename') return undefined;
    for (let n = 1; n <= MAX_COLLISION_SUFFIX; n++) {
      const candidate = collisionName(path, n);
      const stat = await statAt(finalOf(candidate));
      if (stat === undefined) return undefined;
      if (await holds(finalOf(candidate), expected)) return candidate;
    }
    return undefined;
  }

  /** MOVE; the server says whether the destination was free (Overwrite: F gives 412 when taken). */
  async function move(from: Segments, to: Segments, overwrite: boolean): Promise<'moved' | 'taken' | 'source-gone'> {
    const answer = await client.call({
      method: 'MOVE',
      url: urlAt(from),
      headers: { destination: urlAt(to).href, overwrite: overwrite ? 'T' : 'F' },
    });
    if (answer.status === 201 || answer.status === 204 || answer.status === 200) return 'moved';
    if (answer.status === 412) return 'taken';
    if (answer.status === 404) return 'source-gone';
    throw classifyStatus(answer.status, `MOVE ${shown(from)} to ${shown(to)}`, answer.body);
  }

  async function discard(segments: Segments): Promise<void> {
    const answer = await client.call({ method: 'DELETE', url: urlAt(segments) });
    if (answer.status >= 300 && answer.status !== 404) throw classifyStatus(answer.status, `DELETE ${shown(segments)}`, answer.body);
  }

  /** After a MOVE the server called a success, the final name must hold a file of our size. */
  async function checkMoved(location: string, expected: ExpectedContent): Promise<void> {
    const size = await fileSize(finalOf(location));
    if (size !== expected.size) {
      throw new TransientError('conflict', `the server answered MOVE to ${location} with success, but holds ${size ?? 'nothing'} there, not ${expected.size} bytes`, {
        detail: { size, expected: expected.size },
      });
    }
  }

  async function commit(path: string, expected: ExpectedContent): Promise<CommitReceipt> {
    await ready();
    const part = partOf(path);
    const stat = await statAt(part);
    if (stat === undefined || stat.collection) {
      const previous = await findCommitted(path, expected);
      if (previous !== undefined) return { location: previous, outcome: 'already-present' };
      throw new TransientError('conflict', `in-transit copy of ${path} is missing on the server; upload it again`);
    }
    const digest = stat.size === expected.size ? await storedSha256(part, stat, 'trust-server-sum') : undefined;
    if (stat.size !== expected.size || digest !== expected.sha256) {
      await discard(part);
      const how = stat.sha256 !== undefined ? 'server sha256' : 'sha256 of the copy read back';
      throw new PermanentError(
        'checksum-mismatch',
        stat.size !== expected.size
          ? `in-transit copy of ${path} does not match (size ${stat.size ?? 'unknown'}, expected ${expected.size})`
          : `in-transit copy of ${path} does not match (${how} ${digest ?? 'unreadable'}, expected ${expected.sha256})`,
        { detail: { size: stat.size, expected: expected.size } },
      );
    }
    const final = finalOf(path);
    const moved = await move(part, final, false);
    if (moved === 'moved') {
      await checkMoved(path, expected);
      return { location: path, outcome: 'committed' };
    }
    if (moved === 'source-gone') throw new TransientError('conflict', `in-transit copy of ${path} vanished before MOVE; upload it again`);
    const previous = await findCommitted(path, expected);
    if (previous !== undefined) {
      await discard(part);
      return { location: previous, outcome: 'already-present' };
    }
    switch (policy) {
      case 'overwrite': {
        const again = await move(part, final, true);
        if (again !== 'moved') throw new TransientError('conflict', `MOVE over ${path} did not happen (${again}); will retry`);
        await checkMoved(path, expected);
        return { location: path, outcome: 'committed' };
      }
      case 'skip':
        await discard(part);
        return { location: path, outcome: 'skipped' };
      case 'rename':
        for (let n = 1; n <= MAX_COLLISION_SUFFIX; n++) {
          const location = collisionName(path, n);
          // Overwrite: F makes the server the judge of "free": no gap between a look and the MOVE.
          const result = await move(part, finalOf(location), false);
          if (result === 'taken') continue;
          if (result === 'source-gone') throw new TransientError('conflict', `in-transit copy of ${path} vanished before MOVE; upload it again`);
          await checkMoved(location, expected);
          return { location, outcome: 'renamed' };
        }
        throw new PermanentError('conflict', `no free name for ${path} after ${MAX_COLLISION_SUFFIX} tries`);
      default:
        return assertNeverPolicy(policy);
    }
  }

  async function* read(path: string, readOptions?: ReadOptions): AsyncGenerator<Uint8Array> {
    await ready();
    const segments = finalOf(path);
    const answer = await client.open({ method: 'GET', url: urlAt(segments), signal: readOptions?.signal });
    if (answer.status !== 200) {
      await answer.discard();
      throw classifyStatus(answer.status, `GET ${shown(segments)}`);
    }
    yield* answer.chunks;
  }

  const target = {
    id: options.id,
    get features() {
      return features;
    },
    describe: () => ({ id: options.id, url: display, user: endpoint.user, resume: resumeMode }),
    stat: async (path: string) => {
      await ready();
      const size = await fileSize(finalOf(path));
      return size === undefined ? undefined : { size };
    },
    partialSize: async (path: string) => {
      await ready();
      if (!features.canResume) return 0;
      return (await fileSize(partOf(path))) ?? 0;
    },
    write: async (path: string, offset: number, data: AsyncIterable<Uint8Array>, writeOptions?: ReadOptions) => {
      await ready();
      if (features.canResume) return writePieces(path, offset, data, writeOptions?.signal);
      if (offset === 0) return put(path, data, writeOptions?.signal);
      throw new TransientError('conflict', `${display} cannot resume; upload ${path} again from 0`, { detail: { have: 0, offset } });
    },
    commit,
    read,
    /** For `filesync doctor`: connects (credentials, base folder, features) and asks for the base folder again, throwing its fault. */
    probe: async () => {
      await ready();
      if ((await statAt([], true)) === undefined) throw new PermanentError('not-found', `${display} does not exist on the server`, { detail: { url: display } });
    },
    remove: async (path: string) => {
      await ready();
      const segments = finalOf(path);
      const answer = await client.call({ method: 'DELETE', url: urlAt(segments) });
      if (answer.status >= 300) throw classifyStatus(answer.status, `DELETE ${shown(segments)}`, answer.body);
    },
    close: async () => client.close(),
  } satisfies WebdavTarget;
  return target;
}

function assertNeverPolicy(policy: never): never {
  throw new PermanentError('bad-request', `collision: unknown policy ${JSON.stringify(policy)}`, { detail: { field: 'collision' } });
}
