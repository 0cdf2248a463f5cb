import { createHash } from 'node:crypto';
import {
  type CommitReceipt,
  type ExpectedContent,
  MAX_COLLISION_SUFFIX,
  PermanentError,
  type ReadOptions,
  type Target,
  TransientError,
  type WriteOptions,
  collisionName,
  isFilesyncError,
  systemClock,
  unsafeKeyReason,
} from '@filesync/core';
import type { MultipartUpload } from '@filesync/store';
import { s3CodeOf } from './errors';
import { type ObjectHead, ObjectStore } from './object-store';
import { DEFAULT_S3_OPTIONS, type S3TargetOptions, partSizeFor } from './options';
import { sendBounded } from './in-flight';
import { ConditionalPuts } from './conditional-puts';
import { PartBuffers, bareEtag, isMd5Etag, md5Of, multipartEtag, provenBy, runOf, splitParts } from './parts';

/** A file below the multipart threshold, held between `write` and `commit` (it goes in one PUT). */
interface SmallCopy {
  readonly body: Buffer;
  readonly sha256: string;
  readonly md5: Buffer;
}

/** What a PUT of `copy` carries besides its bytes: our sha256 metadata and the Content-MD5 the store checks. */
const putMeta = (copy: SmallCopy): { sha256: string; md5: string } => ({ sha256: copy.sha256, md5: copy.md5.toString('base64') });

export interface StaleSweep {
  /** Uploads this target had started and given up, aborted now. */
  readonly aborted: number;
  /** Unfinished uploads under the prefix that the catalog does not know (another agent's): left alone. */
  readonly leftAlone: number;
  /** False when the store has no ListMultipartUploads (s3rver): only recorded uploads could be aborted. */
  readonly listed: boolean;
}

export interface S3Target extends Target {
  /** Where it writes, without credentials (for status and logs). */
  describe(): { id: string; endpoint: string; bucket: string; prefix: string };
  /**
   * The sweep of stale uploads, run once: started by `sweepAtOpen`, else by the first upload call
   * (never by `probe`, so `filesync doctor` changes nothing). Resolves with what it did.
   */
  readonly swept: Promise<StaleSweep>;
  /** Runs the sweep again (tests, operator tools). */
  sweepStaleUploads(): Promise<StaleSweep>;
  /** Reaches the bucket once (HeadBucket): a missing bucket or refused credentials reject here (`filesync doctor`). */
  probe(): Promise<void>;
}

/**
 * An S3-compatible object store as a target.
 *
 * - Files below `multipartThreshold` are held by `write` and sent by `commit` in one PutObject
 *   (Content-MD5 checked by the store), after the collision check: a HEAD, or, on a store that honours
 *   `If-None-Match: *` (see `conditional-puts.ts`), the PUT itself made conditional.
 * - Larger files go as a multipart upload bound, at CreateMultipartUpload, to the final key or (a
 *   different object holds it, policy `rename`) to a free suffixed one; the sha256 is object metadata
 *   (`x-amz-meta-sha256`), fixed at creation, so `write` needs `options.expected`. Up to
 *   `partConcurrency` parts are in flight at once (read in order from the one stream); each is recorded
 *   in the catalog (number, size, ETag) once the store acknowledged it, so parts are recorded out of
 *   order. `partialSize` is the run from part 1 of recorded parts the store still lists (ListParts, where
 *   offered); after a power cut the upload goes on from there and skips the parts already done past it,
 *   so a cut costs at most the parts that were in flight. The object appears only at CompleteMultipartUpload.
 * - After completion (and after a PUT) a HEAD checks size and sha256 metadata, and the multipart ETag
 *   where the parts' ETags are MD5s. A wrong object is removed and the commit fails `checksum-mismatch`.
 * - Uploads given up are aborted; at open, stale ones of this target are aborted (see `sweepStaleUploads`).
 */
export function createS3Target(given: S3TargetOptions): S3Target {
  const options = { ...DEFAULT_S3_OPTIONS, ...given };
  // `given` may name it undefined (an optional field spread over the default).
  const partConcurrency = given.partConcurrency ?? DEFAULT_S3_OPTIONS.partConcurrency;
  const { id, records, prefix, collision: policy } = options;
  const clock = options.clock ?? systemClock;
  const log = options.log ?? (() => undefined);
  const store = new ObjectStore(options);
  const small = new Map<string, SmallCopy>();
  const conditional = new ConditionalPuts();
  /** Paths whose `write` found a different object at the final name under policy `skip`: nothing was sent. */
  const skipped = new Set<string>();

  /** The object key of `path`, refusing names that would leave the prefix; names are never rewritten. */
  function keyOf(path: string): string {
    const why = unsafeKeyReason(path);
    if (why !== undefined) {
      throw new PermanentError('bad-request', `"${path}" cannot be a key below prefix "${prefix}": ${why}; the name is not rewritten`, { detail: { path } });
    }
    return prefix + path;
  }

  const locationOf = (key: string): string => key.slice(prefix.length);
  /**
   * Whether the object `head` describes holds `expected`: by our sha256 metadata, or, for an object
   * without it (put there by another tool) and of the right size, by reading it back and hashing it.
   */
  async function same(key: string, head: ObjectHead | undefined, expected: ExpectedContent): Promise<boolean> {
    if (head === undefined || head.size !== expected.size) return false;
    if (head.sha256 !== undefined) return head.sha256 === expected.sha256;
    const hash = createHash('sha256');
    for await (const chunk of store.read(key)) hash.update(chunk);
    return hash.digest('hex') === expected.sha256;
  }

  /** Where this content already is: the name itself, or (policy `rename`) a suffixed one. */
  async function findCommitted(path: string, expected: ExpectedContent): Promise<string | undefined> {
    if (await same(keyOf(path), await store.head(keyOf(path)), expected)) return path;
    if (policy !== 'rename') return undefined;
    for (let n = 1; n <= MAX_COLLISION_SUFFIX; n++) {
      const candidate = collisionName(path, n);
      const head = await store.head(keyOf(candidate));
      if (head === undefined) return undefined;
      if (await same(keyOf(candidate), head, expected)) return candidate;
    }
    return undefined;
  }

  async function freeName(path: string): Promise<string> {
    for (let n = 1; n <= MAX_COLLISION_SUFFIX; n++) {
      const candidate = collisionName(path, n);
      if ((await store.head(keyOf(candidate))) === undefined) return candidate;
    }
    throw new PermanentError('conflict', `no free name for ${path} after ${MAX_COLLISION_SUFFIX} tries`);
  }

  /**
   * Gives an upload up: marked `abandoned` first, so that if the abort fails (network) the next sweep
   * retries it; the row goes once the store confirms. An upload whose id was never recorded (a crash
   * right after CreateMultipartUpload) is found by listing its key.
   */
  async function abandon(upload: MultipartUpload): Promise<void> {
    records.markAbandoned(id, upload.path);
    const ids = upload.uploadId !== null ? [upload.uploadId] : await orphansOf(upload.objectKey);
    for (const uploadId of ids) {
      if ((await store.abort(upload.objectKey, uploadId)) === 'not-offered') {
        log('warn', `${store.where.endpoint} cannot abort multipart uploads; upload ${uploadId} of ${upload.objectKey} stays until the bucket's lifecycle rule removes it`, { target: id });
      }
    }
    records.remove(id, upload.path);
  }

  async function orphansOf(key: string): Promise<string[]> {
    const listed = await store.listUploads(key);
    return listed === 'not-offered' ? [] : listed.filter((u) => u.key === key).map((u) => u.uploadId);
  }

  /**
   * The recorded parts the store still holds (ListParts: same number, size and ETag; all recorded parts
   * where it is not offered), as a set: parts finish out of order, so after a power cut parts past a gap
   * may be done. Records the store does not list are dropped. `have` is the run from part 1 without a
   * gap, where the stream resumes; done parts past it are skipped then (see `sendParts`). Undefined (and
   * the row removed) when the store forgot the upload.
   */
  async function reconcile(upload: MultipartUpload): Promise<{ upload: MultipartUpload; have: number } | undefined> {
    if (upload.uploadId === null) return { upload, have: 0 };
    const listed = await store.listParts(upload.objectKey, upload.uploadId);
    if (listed === 'gone') {
      records.remove(id, upload.path);
      return undefined;
    }
    for (const part of upload.parts) {
      const there = listed === 'not-offered' || listed.some((l) => l.partNumber === part.partNumber && l.size === part.size && bareEtag(l.etag) === bareEtag(part.etag));
      if (!there) records.dropPart(id, upload.path, part.partNumber);
    }
    const now = records.get(id, upload.path) ?? upload;
    return { upload: now, have: runOf(now.parts).bytes };
  }

  /**
   * Sends the parts of `data` (which starts at part `firstPart`), up to `options.partConcurrency` at
   * once, recording each as the store acknowledges it (in the order they finish). A part in `done` (a
   * part recorded past the resumed run) is read but not sent again when its bytes prove to be the part
   * recorded: same size and, where the ETag is an MD5, the same MD5; otherwise it is sent again.
   */
  async function sendParts(upload: MultipartUpload, firstPart: number, data: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void> {
    if (upload.uploadId === null) throw new TransientError('conflict', `upload of ${upload.path} has no id yet`);
    const uploadId: string = upload.uploadId;
    const done = new Map(upload.parts.filter((p) => p.partNumber >= firstPart).map((p) => [p.partNumber, p]));
    /** Set once the store answered NoSuchUpload: parts still in flight must not record into the removed row. */
    let forgotten: TransientError | undefined;
    const buffers = new PartBuffers(upload.partSize);
    async function* numbered(): AsyncGenerator<{ partNumber: number; part: Buffer }> {
      let partNumber = firstPart;
      for await (const part of splitParts(data, upload.partSize, signal, buffers)) {
        const recorded = done.get(partNumber);
        if (recorded === undefined || !provenBy(recorded, part)) yield { partNumber, part };
        else buffers.giveBack(part);
        partNumber++;
      }
    }
    async function sendOne(item: { partNumber: number; part: Buffer }): Promise<void> {
      try {
        await sendPart(item);
      } finally {
        buffers.giveBack(item.part);
      }
    }
    async function sendPart({ partNumber, part }: { partNumber: number; part: Buffer }): Promise<void> {
      const md5 = md5Of(part);
      let etag: string;
      try {
        etag = await store.uploadPart(upload.objectKey, uploadId, partNumber, part, md5.toString('base64'), signal);
      } catch (err) {
        if (s3CodeOf(err) !== 'NoSuchUpload') throw err;
        // The store forgot the upload (expired by a lifecycle rule, or a store restored from backup): a new one starts.
        records.remove(id, upload.path);
        forgotten ??= new TransientError('conflict', `${store.where.endpoint} forgot the upload of ${upload.path} (NoSuchUpload); starting a new one`, { cause: err, detail: { have: 0 } });
        throw forgotten;
      }
      if (forgotten !== undefined) throw forgotten;
      if (isMd5Etag(etag) && bareEtag(etag) !== md5.toString('hex')) {
        throw new TransientError('disconnected', `part ${partNumber} of ${upload.path}: the store's ETag ${etag} is not the MD5 of the bytes sent; sending it again`, {
          detail: { partNumber },
        });
      }
      records.addPart(id, upload.path, { partNumber, size: part.length, etag });
    }
    await sendBounded(numbered(), partConcurrency, sendOne);
  }

  async function drain(data: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void> {
    for await (const _chunk of data) signal?.throwIfAborted();
  }

  /** Holds a small file's bytes; `offset > 0` appends to the copy held (an in-transit copy in this process only). */
  async function writeSmall(path: string, offset: number, data: AsyncIterable<Uint8Array>, expected: ExpectedContent | undefined, signal?: AbortSignal): Promise<void> {
    const limit = Math.max(options.multipartThreshold, expected?.size ?? 0);
    const held = small.get(path);
    small.delete(path);
    if (offset > 0 && held?.body.length !== offset) {
      throw new TransientError('conflict', `in-transit copy of ${path} has ${held?.body.length ?? 0} bytes here, not ${offset}`, { detail: { have: held?.body.length ?? 0, offset } });
    }
    const chunks: Buffer[] = offset > 0 && held ? [held.body] : [];
    let size = offset;
    for await (const chunk of data) {
      signal?.throwIfAborted();
      size += chunk.byteLength;
      if (size > limit) {
        if (expected === undefined) throw new PermanentError('bad-request', `${path}: a multipart upload needs the file's size and sha256 before it starts`);
        throw new PermanentError('checksum-mismatch', `${path}: more bytes than the ${expected.size} expected`, { detail: { expected: expected.size } });
      }
      chunks.push(Buffer.from(chunk));
    }
    const body = Buffer.concat(chunks, size);
    small.set(path, { body, sha256: createHash('sha256').update(body).digest('hex'), md5: md5Of(body) });
  }

  async function writeMultipart(path: string, offset: number, data: AsyncIterable<Uint8Array>, expected: ExpectedContent, signal?: AbortSignal): Promise<void> {
    const recorded = records.get(id, path);
    if (offset > 0) {
      if (!recorded || recorded.uploadId === null || recorded.state !== 'open') {
        throw new TransientError('conflict', `no upload of ${path} to continue at ${offset}`, { detail: { have: 0, offset } });
      }
      if (recorded.size !== expected.size || recorded.sha256 !== expected.sha256) {
        await abandon(recorded);
        throw new TransientError('conflict', `the recorded upload of ${path} is of another version; starting again`, { detail: { have: 0, offset } });
      }
      const run = runOf(recorded.parts);
      if (run.bytes !== offset) throw new TransientError('conflict', `upload of ${path} has ${run.bytes} bytes recorded, not ${offset}`, { detail: { have: run.bytes, offset } });
      return sendParts(recorded, run.parts + 1, data, signal);
    }
    // Parts finish out of order: after a power cut the run from part 1 may be empty (`partialSize` 0)
    // while later parts are done. Offset 0 then continues that upload, skipping the parts proven done.
    if (recorded && recorded.state === 'open' && recorded.uploadId !== null && recorded.size === expected.size && recorded.sha256 === expected.sha256 && runOf(recorded.parts).parts === 0) {
      return sendParts(recorded, 1, data, signal);
    }
    if (recorded) await abandon(recorded);
    let objectKey = keyOf(path);
    const occupant = await store.head(objectKey, signal);
    // Decided now: an upload is bound to its key from CreateMultipartUpload on.
    if (occupant !== undefined && (await findCommitted(path, expected)) !== undefined) return drain(data, signal);
    if (occupant !== undefined && policy !== 'overwrite') {
      if (policy === 'skip') {
        skipped.add(path);
        return drain(data, signal);
      }
      objectKey = keyOf(await freeName(path));
    }
    const upload = records.begin({ targetId: id, path, objectKey, partSize: partSizeFor(expected.size, options.partSize), size: expected.size, sha256: expected.sha256 });
    const uploadId = await store.create(objectKey, expected.sha256, signal);
    records.setUploadId(id, path, uploadId);
    return sendParts({ ...upload, uploadId }, 1, data, signal);
  }

  /** HEAD after the object is in place: size, our sha256 metadata and (multipart) the ETag. A wrong object is removed. */
  async function verifyPlaced(key: string, expected: ExpectedContent, etag: string | undefined): Promise<void> {
    const head = await store.head(key);
    const problems: string[] = [];
    if (head === undefined) problems.push('it is not there');
    else {
      if (head.size !== expected.size) problems.push(`size ${head.size}, expected ${expected.size}`);
      if (head.sha256 !== expected.sha256) problems.push(`sha256 metadata ${head.sha256 ?? 'missing'}`);
      if (etag !== undefined && head.etag !== undefined && /-\d+$/.test(bareEtag(head.etag)) && bareEtag(head.etag) !== etag) problems.push(`ETag ${head.etag}, expected ${etag}`);
    }
    if (problems.length === 0) return;
    if (head !== undefined) await store.remove(key);
    throw new PermanentError('checksum-mismatch', `${key} does not match after upload (${problems.join('; ')}); removed`, { detail: { key } });
  }

  /**
   * One PutObject of a held small file, proven placed (see `checkPlaced`). `ifAbsent`: conditional on
   * the key being free (`If-None-Match: *`); false when the store refused because it is taken.
   */
  async function putSmall(key: string, copy: SmallCopy, expected: ExpectedContent, ifAbsent = false): Promise<boolean> {
    const meta = putMeta(copy);
    const put = ifAbsent ? await store.putIfAbsent(key, copy.body, meta) : { taken: false, etag: await store.put(key, copy.body, meta) };
    if (put.taken) return false;
    await checkPlaced(key, copy, expected, put.etag);
    return true;
  }

  async function checkPlaced(key: string, copy: SmallCopy, expected: ExpectedContent, etag: string | undefined): Promise<void> {
    if (etag !== undefined && isMd5Etag(etag)) {
      // The store answered with the MD5 of what it stored, and it checked our Content-MD5 before
      // storing: proven, with no HEAD. The sha256 metadata went in the same request; a store that
      // dropped it only costs a read-back when it is next compared.
      if (bareEtag(etag) === copy.md5.toString('hex')) return;
      // The object carries our sha256 metadata whatever bytes it holds: left there, the retry would take
      // it as this content already present. Unproven, it goes.
      await store.remove(key).catch(() => undefined);
      throw new TransientError('disconnected', `${key}: the store's ETag is not the MD5 of the bytes sent; removed, sending it again`);
    }
    // No MD5 ETag (SSE-KMS, some stores): the HEAD checks size and our sha256 metadata instead.
    await verifyPlaced(key, expected, undefined);
  }

  /** Once, after a small file was placed at a key the HEAD found free: does the store honour `If-None-Match`? */
  async function proveConditionalPuts(key: string, copy: SmallCopy, expected: ExpectedContent): Promise<void> {
    if (!conditional.startProof()) return;
    let again: Awaited<ReturnType<ObjectStore['putIfAbsent']>>;
    try {
      again = await store.putIfAbsent(key, copy.body, putMeta(copy));
    } catch (err) {
      // A store that refuses the header outright (501 NotImplemented, a 4xx) is not asked again this run; a
      // passing fault (network, 5xx) leaves it unproven.
      const refused = s3CodeOf(err) === 'NotImplemented' || (isFilesyncError(err) && err.kind === 'permanent');
      if (refused) conditional.proved(false);
      else conditional.unproven();
      log('info', `could not learn whether ${store.where.endpoint} honours If-None-Match (${(err as Error).message}); small files are HEADed first${refused ? '' : ' meanwhile'}`, { target: id });
      return;
    }
    conditional.proved(again.taken);
    log('info', `${store.where.endpoint} ${again.taken ? 'honours' : 'ignores'} If-None-Match on PutObject: small files go in ${again.taken ? 'one request' : 'a HEAD and a PUT'}`, { target: id });
    // Ignored, the same bytes went again: proven as any PUT, or removed and the commit retried.
    if (!again.taken) await checkPlaced(key, copy, expected, again.etag);
  }

  async function commitSmall(path: string, copy: SmallCopy, expected: ExpectedContent): Promise<CommitReceipt> {
    if (copy.body.length !== expected.size || copy.sha256 !== expected.sha256) {
      throw new PermanentError('checksum-mismatch', `in-transit copy of ${path} does not match (size ${copy.body.length}, expected ${expected.size})`, {
        detail: { size: copy.body.length, expected: expected.size },
      });
    }
    const key = keyOf(path);
    // Honoured, the conditional PUT is the collision check; a refusal means an object is there.
    if (conditional.honoured && (await putSmall(key, copy, expected, true))) return { location: path, outcome: 'committed' };
    const occupant = await store.head(key);
    const previous = occupant === undefined ? undefined : await findCommitted(path, expected);
    if (previous !== undefined) return { location: previous, outcome: 'already-present' };
    if (occupant === undefined || policy === 'overwrite') {
      await putSmall(key, copy, expected);
      if (occupant === undefined) await proveConditionalPuts(key, copy, expected);
      return { location: path, outcome: 'committed' };
    }
    if (policy === 'skip') return { location: path, outcome: 'skipped' };
    const location = await freeName(path);
    await putSmall(keyOf(location), copy, expected);
    return { location, outcome: 'renamed' };
  }

  async function completeUpload(path: string, upload: MultipartUpload, expected: ExpectedContent): Promise<CommitReceipt> {
    if (upload.size !== expected.size || upload.sha256 !== expected.sha256) {
      await abandon(upload);
      throw new PermanentError('checksum-mismatch', `the upload of ${path} was of another version (size ${upload.size}, expected ${expected.size})`, {
        detail: { size: upload.size, expected: expected.size },
      });
    }
    const location = locationOf(upload.objectKey);
    // Nothing of this upload is visible before it completes: the same content anywhere is an earlier copy.
    const previous = await findCommitted(path, expected);
    if (previous !== undefined) {
      await abandon(upload);
      return { location: previous, outcome: 'already-present' };
    }
    if (policy !== 'overwrite') {
      // The name was free (or its holder different) when the upload began; another writer may have come since.
      if (location === path && (await store.head(upload.objectKey)) !== undefined) {
        await abandon(upload);
        if (policy === 'skip') return { location: path, outcome: 'skipped' };
        throw new TransientError('conflict', `a different object appeared at ${upload.objectKey} during the upload; starting again under a free name`);
      }
    }
    const uploadId = upload.uploadId ?? '';
    try {
      await store.complete(upload.objectKey, uploadId, upload.parts);
    } catch (err) {
      if (s3CodeOf(err) !== 'NoSuchUpload') throw err;
      // Completed already (the reply was lost) or forgotten: what is at the key decides.
      records.remove(id, path);
      if (await same(upload.objectKey, await store.head(upload.objectKey), expected)) return { location, outcome: 'already-present' };
      throw new TransientError('conflict', `${store.where.endpoint} forgot the upload of ${path}; upload it again`, { cause: err });
    }
    await verifyPlaced(upload.objectKey, expected, multipartEtag(upload.parts.map((p) => p.etag))).finally(() => records.remove(id, path));
    return { location, outcome: location === path ? 'committed' : 'renamed' };
  }

  async function sweepStaleUploads(): Promise<StaleSweep> {
    const now = clock.now();
    const given: string[] = [];
    let aborted = 0;
    for (const upload of records.list(id)) {
      if (upload.state !== 'abandoned' && now - upload.updatedAt <= options.staleUploadMs) continue;
      given.push(upload.objectKey);
      await abandon(upload);
      aborted++;
    }
    const listed = await store.listUploads(prefix);
    if (listed === 'not-offered') return { aborted, leftAlone: 0, listed: false };
    const live = records.list(id);
    let leftAlone = 0;
    for (const u of listed) {
      const row = live.find((r) => r.objectKey === u.key);
      // Another agent's upload (or one from before this catalog): not ours to abort.
      if (row === undefined && !given.includes(u.key)) {
        leftAlone++;
        continue;
      }
      if (row !== undefined && row.uploadId === u.uploadId) continue;
      // Ours: created for a key this catalog recorded, but not the upload it goes on with (a crash right
      // after CreateMultipartUpload, or an abort that never got through).
      if ((await store.abort(u.key, u.uploadId)) === 'aborted') aborted++;
    }
    if (aborted > 0 || leftAlone > 0) log('info', `stale multipart uploads: ${aborted} aborted, ${leftAlone} of others left alone`, { target: id, aborted, leftAlone });
    return { aborted, leftAlone, listed: true };
  }

  let sweep: Promise<StaleSweep> | undefined;
  const startSweep = (): Promise<StaleSweep> => (sweep ??= sweepStaleUploads());
  /** Awaited by every upload call; a failed sweep (store down at start) must not hold uploads up: the next open retries it. */
  let readyPromise: Promise<void> | undefined;
  const ready = (): Promise<void> =>
    (readyPromise ??= startSweep().then(
      () => undefined,
      (err: unknown) => log('warn', `stale-upload sweep failed: ${(err as Error).message}`, { target: id }),
    ));
  if (options.sweepAtOpen) void ready();

  const target = {
    id,
    features: { canResume: true, atomicCommit: true, hashes: [], parallelism: options.transfers ?? DEFAULT_S3_OPTIONS.transfers },
    get swept() {
      return startSweep();
    },
    sweepStaleUploads,
    probe: () => store.probe(),
    describe: () => ({ id, endpoint: store.where.endpoint, bucket: options.bucket, prefix }),
    async stat(path: string) {
      await ready();
      const head = await store.head(keyOf(path));
      return head === undefined ? undefined : { size: head.size };
    },
    async partialSize(path: string) {
      keyOf(path);
      await ready();
      const held = small.get(path);
      if (held !== undefined) return held.body.length;
      const upload = records.get(id, path);
      if (upload === undefined || upload.state !== 'open') return 0;
      return (await reconcile(upload))?.have ?? 0;
    },
    async write(path: string, offset: number, data: AsyncIterable<Uint8Array>, writeOptions?: WriteOptions) {
      keyOf(path);
      await ready();
      const signal = writeOptions?.signal;
      const expected = writeOptions?.expected;
      skipped.delete(path);
      if (expected === undefined || expected.size < options.multipartThreshold) {
        const recorded = offset === 0 ? records.get(id, path) : undefined;
        if (recorded) await abandon(recorded);
        return writeSmall(path, offset, data, expected, signal);
      }
      small.delete(path);
      if (expected === undefined) {
        throw new PermanentError('bad-request', `${path}: continuing a multipart upload needs the file's size and sha256`, { detail: { offset } });
      }
      return writeMultipart(path, offset, data, expected, signal);
    },
    async commit(path: string, expected: ExpectedContent): Promise<CommitReceipt> {
      keyOf(path);
      await ready();
      const copy = small.get(path);
      if (copy !== undefined) {
        small.delete(path);
        return commitSmall(path, copy, expected);
      }
      if (skipped.delete(path)) {
        const occupant = await store.head(keyOf(path));
        if (await same(keyOf(path), occupant, expected)) return { location: path, outcome: 'already-present' };
        if (occupant !== undefined) return { location: path, outcome: 'skipped' };
      }
      const recorded = records.get(id, path);
      if (recorded !== undefined && recorded.state === 'open' && recorded.uploadId !== null) {
        const now = await reconcile(recorded);
        if (now !== undefined && now.have === now.upload.size) return completeUpload(path, now.upload, expected);
        if (now !== undefined) {
          const previous = await findCommitted(path, expected);
          if (previous !== undefined) {
            await abandon(now.upload);
            return { location: previous, outcome: 'already-present' };
          }
          throw new TransientError('conflict', `upload of ${path} has ${now.have} of ${now.upload.size} bytes; continue it`, { detail: { have: now.have } });
        }
      }
      const previous = await findCommitted(path, expected);
      if (previous !== undefined) return { location: previous, outcome: 'already-present' };
      throw new TransientError('conflict', `in-transit copy of ${path} is missing; upload it again`);
    },
    read: (path: string, readOptions?: ReadOptions) => store.read(keyOf(path), readOptions?.signal),
    remove: (path: string) => store.remove(keyOf(path)),
    async close() {
      small.clear();
      if (readyPromise) await readyPromise;
      store.close();
      records.close();
    },
  } satisfies S3Target;
  return target;
}
