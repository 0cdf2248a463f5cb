// A real uploading process for the crash test: `node --import tsx upload-child.ts ENDPOINT BUCKET CATALOG FILE PATH`.
// Streams FILE slowly after its second part, so the parent can SIGKILL it mid-upload.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { openMultipartRecords } from '@filesync/store';
import { createS3Target } from '../s3-target';
import { S3RVER_CREDENTIALS } from './s3rver-server';

const [endpoint, bucket, catalog, file, path] = process.argv.slice(2) as [string, string, string, string, string];
const bytes = readFileSync(file);
const expected = { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
const partSize = 5 * 2 ** 20;

async function* slowAfter(from: number): AsyncGenerator<Uint8Array> {
  for (let at = from; at < bytes.length; at += 256 * 1024) {
    if (at >= 2 * partSize) await new Promise((r) => setTimeout(r, 100));
    yield bytes.subarray(at, Math.min(bytes.length, at + 256 * 1024));
  }
}

const target = createS3Target({
  id: 's3', endpoint, region: 'us-east-1', bucket, prefix: 'fleet/', ...S3RVER_CREDENTIALS,
  partSize, multipartThreshold: 6 * 2 ** 20, collision: 'rename', staleUploadMs: 3600_000, timeoutMs: 30_000, maxAttempts: 1,
  records: openMultipartRecords(catalog),
});
const from = await target.partialSize(path);
process.stdout.write(`START ${from}\n`);
await target.write(path, from, slowAfter(from), { expected });
await target.commit(path, expected);
process.stdout.write('DONE\n');
await target.close();
