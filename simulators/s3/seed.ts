import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { patternBytes } from '@filesync/core';
import type { S3Store } from './store';

export const SEED_BUCKET = 'fleet-seed';

/** What a fleet bucket holds after a few flights: logs and images under vehicle prefixes. */
const CONTENT: ReadonlyArray<readonly [string, number]> = [
  ['drone-01/px4/2026-11-24/logs/10_21_07.ulg', 1_200_000],
  ['drone-01/flir/2026-11-24/DCIM/FLIR0001.jpg', 180_000],
  ['drone-02/px4/2026-11-25/logs/09_12_30.ulg', 640_000],
];

/**
 * Fills a store that has no buckets (an empty root, ARCHITECTURE conventions) with one bucket of
 * realistic content; a root that already has buckets is left alone. Tests create their own buckets.
 */
export async function seedStore(store: S3Store): Promise<boolean> {
  if (store.listBuckets().length > 0) return false;
  await store.createBucket(SEED_BUCKET);
  let seed = 11;
  for (const [key, size] of CONTENT) {
    const bytes = patternBytes(size, seed++);
    const path = await store.incomingObjectPath(SEED_BUCKET, key);
    await writeFile(path, bytes);
    const etag = `"${createHash('md5').update(bytes).digest('hex')}"`;
    await store.putObject(SEED_BUCKET, { key, size, etag, contentType: 'binary/octet-stream', metadata: {} }, path);
  }
  return true;
}
