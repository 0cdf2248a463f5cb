import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { s3Errors } from './s3-error';

/**
 * The buckets, objects and multipart uploads, kept on disk under the root so a simulator killed
 * with SIGKILL comes back with everything, uploads in progress included:
 * ```
 * ROOT/<bucket>/objects/<sha256(key)>.json        the object's record (names its data file)
 * ROOT/<bucket>/objects/<sha256(key)>.<rnd>.data  its bytes
 * ROOT/<bucket>/uploads/<uploadId>/upload.json    an upload in progress
 * ROOT/<bucket>/uploads/<uploadId>/<n>.json       a received part's record; <n>.<rnd>.data its bytes
 * ```
 * Bytes are written first and a record is renamed into place after them, so a kill at any point
 * leaves either the old version or the new one, never a record naming half-written bytes. Keys are
 * hashed into file names because S3 keys are not paths ("a" and "a/b" may both exist). An index in
 * memory, loaded at start, answers lists; the disk is written first.
 */

export interface ObjectRecord {
  readonly key: string;
  readonly size: number;
  /** Quoted, as S3 sends it. */
  readonly etag: string;
  readonly lastModified: string;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly dataFile: string;
}

export interface UploadRecord {
  readonly uploadId: string;
  readonly key: string;
  readonly initiated: string;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface PartRecord {
  readonly partNumber: number;
  readonly size: number;
  /** Quoted. */
  readonly etag: string;
  readonly lastModified: string;
  readonly dataFile: string;
}

interface Upload {
  readonly record: UploadRecord;
  readonly parts: Map<number, PartRecord>;
}

interface Bucket {
  readonly name: string;
  readonly created: string;
  readonly objects: Map<string, ObjectRecord>;
  readonly uploads: Map<string, Upload>;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function keyId(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Writes JSON through a temporary name and a rename: a reader (or a restart) sees old or new, whole. */
async function writeRecord(path: string, record: object): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(record));
  await rename(tmp, path);
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

export class S3Store {
  private readonly buckets = new Map<string, Bucket>();
  /** `bucket/key` of conditional puts being placed (see `putObject`). */
  private readonly placing = new Set<string>();

  private constructor(readonly root: string) {}

  /** Opens a root, loading what a previous run left (records without bytes and stray files are dropped). */
  static async open(root: string): Promise<S3Store> {
    await mkdir(root, { recursive: true });
    const store = new S3Store(root);
    for (const name of await listDir(root)) {
      if (!BUCKET_NAME.test(name)) continue;
      const meta = await readJson<{ created: string }>(join(root, name, 'bucket.json'));
      if (!meta) continue;
      const bucket: Bucket = { name, created: meta.created, objects: new Map(), uploads: new Map() };
      store.buckets.set(name, bucket);
      const objectsDir = join(root, name, 'objects');
      const files = await listDir(objectsDir);
      const kept = new Set<string>();
      for (const f of files.filter((f) => f.endsWith('.json'))) {
        const rec = await readJson<ObjectRecord>(join(objectsDir, f));
        if (rec && files.includes(rec.dataFile)) {
          bucket.objects.set(rec.key, rec);
          kept.add(rec.dataFile);
        }
      }
      // Bytes no record names: a PUT killed before its record, or a version replaced before its unlink.
      for (const f of files) if ((f.endsWith('.data') && !kept.has(f)) || f.endsWith('.tmp')) await rm(join(objectsDir, f), { force: true });
      for (const uploadId of await listDir(join(root, name, 'uploads'))) {
        const dir = join(root, name, 'uploads', uploadId);
        const record = await readJson<UploadRecord>(join(dir, 'upload.json'));
        if (!record) continue;
        const parts = new Map<number, PartRecord>();
        const partFiles = await listDir(dir);
        for (const f of partFiles.filter((f) => /^\d+\.json$/.test(f))) {
          const part = await readJson<PartRecord>(join(dir, f));
          if (part && partFiles.includes(part.dataFile)) parts.set(part.partNumber, part);
        }
        bucket.uploads.set(uploadId, { record, parts });
      }
    }
    return store;
  }

  private bucket(name: string): Bucket {
    const b = this.buckets.get(name);
    if (!b) throw s3Errors.noSuchBucket(name);
    return b;
  }

  private upload(bucket: string, uploadId: string, key?: string): Upload {
    const u = this.bucket(bucket).uploads.get(uploadId);
    if (!u || (key !== undefined && u.record.key !== key)) throw s3Errors.noSuchUpload(uploadId);
    return u;
  }

  private uploadDir(bucket: string, uploadId: string): string {
    return join(this.root, bucket, 'uploads', uploadId);
  }

  /** A fresh file name for incoming bytes, in the directory they will live in (a rename stays on one disk). */
  async incomingObjectPath(bucket: string, key: string): Promise<string> {
    this.bucket(bucket);
    return join(this.root, bucket, 'objects', `${keyId(key)}.${randomBytes(6).toString('hex')}.data`);
  }

  async incomingPartPath(bucket: string, key: string, uploadId: string, partNumber: number): Promise<string> {
    this.upload(bucket, uploadId, key);
    return join(this.uploadDir(bucket, uploadId), `${partNumber}.${randomBytes(6).toString('hex')}.data`);
  }

  listBuckets(): { name: string; created: string }[] {
    return [...this.buckets.values()].map((b) => ({ name: b.name, created: b.created })).sort((a, b) => a.name.localeCompare(b.name));
  }

  hasBucket(name: string): boolean {
    return this.buckets.has(name);
  }

  async createBucket(name: string): Promise<void> {
    if (!BUCKET_NAME.test(name)) throw s3Errors.invalidBucketName(name);
    if (this.buckets.has(name)) throw s3Errors.bucketAlreadyOwnedByYou(name);
    const created = new Date().toISOString();
    await mkdir(join(this.root, name, 'objects'), { recursive: true });
    await mkdir(join(this.root, name, 'uploads'), { recursive: true });
    await writeRecord(join(this.root, name, 'bucket.json'), { created });
    this.buckets.set(name, { name, created, objects: new Map(), uploads: new Map() });
  }

  async deleteBucket(name: string): Promise<void> {
    const b = this.bucket(name);
    if (b.objects.size > 0 || b.uploads.size > 0) throw s3Errors.bucketNotEmpty(name);
    await rm(join(this.root, name, 'bucket.json'), { force: true });
    this.buckets.delete(name);
    await rm(join(this.root, name), { recursive: true, force: true });
  }

  getObject(bucket: string, key: string): ObjectRecord {
    const rec = this.bucket(bucket).objects.get(key);
    if (!rec) throw s3Errors.noSuchKey(key);
    return rec;
  }

  objectDataPath(bucket: string, rec: ObjectRecord): string {
    return join(this.root, bucket, 'objects', rec.dataFile);
  }

  /** Objects under `prefix` in key order (UTF-8 binary order, as S3 lists). */
  listObjects(bucket: string, prefix: string): ObjectRecord[] {
    return [...this.bucket(bucket).objects.values()].filter((o) => o.key.startsWith(prefix)).sort((a, b) => compareKeys(a.key, b.key));
  }

  /**
   * Records bytes already written at `dataPath` as the object's new version. `ifAbsent` (PutObject's `If-None-Match: *`):
   * refused with 412 `PreconditionFailed`, the bytes dropped, when the key holds an object or another
   * conditional put of it is being placed (checked and claimed with no await between, so one of two
   * racing puts wins).
   */
  async putObject(bucket: string, rec: Omit<ObjectRecord, 'dataFile' | 'lastModified'>, dataPath: string, options: { ifAbsent?: boolean } = {}): Promise<ObjectRecord> {
    const b = this.bucket(bucket);
    if (!options.ifAbsent) return this.placeObject(b, rec, dataPath);
    const claim = `${bucket}/${rec.key}`;
    if (b.objects.has(rec.key) || this.placing.has(claim)) {
      await rm(dataPath, { force: true });
      throw s3Errors.preconditionFailed('If-None-Match');
    }
    this.placing.add(claim);
    try {
      return await this.placeObject(b, rec, dataPath);
    } finally {
      this.placing.delete(claim);
    }
  }

  private async placeObject(b: Bucket, rec: Omit<ObjectRecord, 'dataFile' | 'lastModified'>, dataPath: string): Promise<ObjectRecord> {
    const bucket = b.name;
    const old = b.objects.get(rec.key);
    const full: ObjectRecord = { ...rec, lastModified: new Date().toISOString(), dataFile: dataPath.slice(dataPath.lastIndexOf('/') + 1) };
    await writeRecord(join(this.root, bucket, 'objects', `${keyId(rec.key)}.json`), full);
    b.objects.set(rec.key, full);
    if (old && old.dataFile !== full.dataFile) await rm(join(this.root, bucket, 'objects', old.dataFile), { force: true });
    return full;
  }

  /** S3 answers 204 whether or not the key existed. */
  async deleteObject(bucket: string, key: string): Promise<void> {
    const b = this.bucket(bucket);
    const old = b.objects.get(key);
    if (!old) return;
    await rm(join(this.root, bucket, 'objects', `${keyId(key)}.json`), { force: true });
    b.objects.delete(key);
    await rm(join(this.root, bucket, 'objects', old.dataFile), { force: true });
  }

  async createUpload(bucket: string, key: string, contentType: string, metadata: Record<string, string>): Promise<UploadRecord> {
    const b = this.bucket(bucket);
    // AWS upload ids are long opaque strings; a UUID without dashes plus noise looks alike and is path-safe.
    const uploadId = `${randomUUID().replace(/-/g, '')}${randomBytes(8).toString('hex')}`;
    const record: UploadRecord = { uploadId, key, initiated: new Date().toISOString(), contentType, metadata };
    await mkdir(this.uploadDir(bucket, uploadId), { recursive: true });
    await writeRecord(join(this.uploadDir(bucket, uploadId), 'upload.json'), record);
    b.uploads.set(uploadId, { record, parts: new Map() });
    return record;
  }

  /** Uploads whose key starts with `prefix`, ordered by key then initiation, as S3 lists them. */
  listUploads(bucket: string, prefix: string): UploadRecord[] {
    return [...this.bucket(bucket).uploads.values()]
      .map((u) => u.record)
      .filter((r) => r.key.startsWith(prefix))
      .sort((a, b) => compareKeys(a.key, b.key) || a.initiated.localeCompare(b.initiated) || a.uploadId.localeCompare(b.uploadId));
  }

  uploadRecord(bucket: string, key: string, uploadId: string): UploadRecord {
    return this.upload(bucket, uploadId, key).record;
  }

  listParts(bucket: string, key: string, uploadId: string): PartRecord[] {
    return [...this.upload(bucket, uploadId, key).parts.values()].sort((a, b) => a.partNumber - b.partNumber);
  }

  /** All uploads in progress, for the control API's state. */
  allUploads(): { bucket: string; key: string; uploadId: string; parts: number; bytes: number }[] {
    return [...this.buckets.values()].flatMap((b) =>
      [...b.uploads.values()].map((u) => ({
        bucket: b.name,
        key: u.record.key,
        uploadId: u.record.uploadId,
        parts: u.parts.size,
        bytes: [...u.parts.values()].reduce((n, p) => n + p.size, 0),
      })),
    );
  }

  async putPart(bucket: string, key: string, uploadId: string, part: Omit<PartRecord, 'dataFile' | 'lastModified'>, dataPath: string): Promise<PartRecord> {
    const u = this.upload(bucket, uploadId, key);
    const old = u.parts.get(part.partNumber);
    const full: PartRecord = { ...part, lastModified: new Date().toISOString(), dataFile: dataPath.slice(dataPath.lastIndexOf('/') + 1) };
    await writeRecord(join(this.uploadDir(bucket, uploadId), `${part.partNumber}.json`), full);
    u.parts.set(part.partNumber, full);
    if (old && old.dataFile !== full.dataFile) await rm(join(this.uploadDir(bucket, uploadId), old.dataFile), { force: true });
    return full;
  }

  /** Aborts (or, for a `forget` fault, silently loses) an upload and its parts. */
  async removeUpload(bucket: string, key: string | undefined, uploadId: string): Promise<void> {
    this.upload(bucket, uploadId, key);
    // The record goes first: a kill mid-removal leaves stray part files, which `open` ignores.
    await rm(join(this.uploadDir(bucket, uploadId), 'upload.json'), { force: true });
    this.bucket(bucket).uploads.delete(uploadId);
    await rm(this.uploadDir(bucket, uploadId), { recursive: true, force: true });
  }

  /**
   * Joins the chosen parts into the object (bytes first, then its record, then the upload goes).
   * The caller has checked numbers, order, ETags and sizes.
   */
  async completeUpload(bucket: string, key: string, uploadId: string, partNumbers: readonly number[], etag: string): Promise<ObjectRecord> {
    const u = this.upload(bucket, uploadId, key);
    const dataPath = await this.incomingObjectPath(bucket, key);
    const out = createWriteStream(dataPath);
    let size = 0;
    try {
      for (const n of partNumbers) {
        const part = u.parts.get(n)!;
        for await (const chunk of createReadStream(join(this.uploadDir(bucket, uploadId), part.dataFile)) as AsyncIterable<Buffer>) {
          if (!out.write(chunk)) await once(out, 'drain');
        }
        size += part.size;
      }
      out.end();
      await finished(out);
    } catch (err) {
      out.destroy();
      await rm(dataPath, { force: true });
      throw err;
    }
    const rec = await this.putObject(bucket, { key, size, etag, contentType: u.record.contentType, metadata: u.record.metadata }, dataPath);
    await this.removeUpload(bucket, key, uploadId);
    return rec;
  }

  partDataPath(bucket: string, uploadId: string, part: PartRecord): string {
    return join(this.uploadDir(bucket, uploadId), part.dataFile);
  }
}

/** S3 orders keys by their UTF-8 bytes, not by UTF-16 code units. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
