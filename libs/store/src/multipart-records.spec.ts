import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openConnection } from './connection';
import { migrate } from './migrations';
import { openMultipartRecords } from './multipart-records';
import { openCatalog } from './open-catalog';
import { errorOf, tempDirs } from './testing/fixtures';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

function freshStore(): string {
  const path = join(dirs.make(), 'catalog.db');
  openCatalog(path).catalog.close();
  return path;
}

const upload = { targetId: 's3', path: 'px4/log/1.ulg', objectKey: 'fleet/px4/log/1.ulg', partSize: 5 * 2 ** 20, size: 12 * 2 ** 20, sha256: 'ab'.repeat(32) };

describe('multipart records (real SQLite file)', () => {
  it('records an upload, its id and each acknowledged part, and a second connection sees them after a close (durable)', () => {
    const path = freshStore();
    const records = openMultipartRecords(path);
    records.begin(upload);
    expect(records.get('s3', upload.path)).toMatchObject({ uploadId: null, state: 'open', parts: [] });
    records.setUploadId('s3', upload.path, 'U1');
    // Parts in flight together finish in any order; they are listed by number.
    records.addPart('s3', upload.path, { partNumber: 2, size: upload.partSize, etag: '"e2"' });
    records.addPart('s3', upload.path, { partNumber: 1, size: upload.partSize, etag: '"e1"' });
    records.close();

    const again = openMultipartRecords(path);
    expect(again.get('s3', upload.path)).toMatchObject({
      objectKey: upload.objectKey,
      uploadId: 'U1',
      partSize: upload.partSize,
      sha256: upload.sha256,
      parts: [
        { partNumber: 1, size: upload.partSize, etag: '"e1"' },
        { partNumber: 2, size: upload.partSize, etag: '"e2"' },
      ],
    });
    again.addPart('s3', upload.path, { partNumber: 3, size: upload.partSize, etag: '"e3"' });
    again.dropPart('s3', upload.path, 2);
    expect(again.get('s3', upload.path)?.parts.map((p) => p.partNumber)).toEqual([1, 3]);
    again.markAbandoned('s3', upload.path);
    expect(again.list('s3')).toMatchObject([{ state: 'abandoned' }]);
    again.remove('s3', upload.path);
    expect(again.get('s3', upload.path)).toBeUndefined();
    // The parts went with their upload (ON DELETE CASCADE).
    const db = openConnection(path);
    expect(db.prepare('SELECT COUNT(*) AS n FROM multipart_parts').get()).toEqual({ n: 0 });
    db.close();
    again.close();
  });

  it('begin replaces an earlier upload of the same path together with its parts', () => {
    const records = openMultipartRecords(freshStore());
    records.begin(upload);
    records.setUploadId('s3', upload.path, 'OLD');
    records.addPart('s3', upload.path, { partNumber: 1, size: 10, etag: 'x' });
    records.begin({ ...upload, objectKey: 'fleet/px4/log/1-1.ulg' });
    expect(records.get('s3', upload.path)).toMatchObject({ uploadId: null, objectKey: 'fleet/px4/log/1-1.ulg', parts: [] });
    records.close();
  });

  it('refuses a part of an upload it does not know, and a store from before the multipart tables', () => {
    const records = openMultipartRecords(freshStore());
    expect(errorOf(() => records.addPart('s3', 'nope', { partNumber: 1, size: 1, etag: 'x' })).code).toBe('not-found');
    records.close();
    const old = join(dirs.make(), 'old.db');
    const db = openConnection(old);
    migrate(db, 6);
    db.close();
    expect(errorOf(() => openMultipartRecords(old))).toMatchObject({ kind: 'permanent', code: 'unsupported' });
  });
});
