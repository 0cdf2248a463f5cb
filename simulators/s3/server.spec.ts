import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { expect, it } from 'vitest';
import { SEED_BUCKET } from './seed';
import { startS3Simulator } from './server';

it('an empty root is seeded with a fleet bucket of logs and images (simulators convention)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'fs-s3-seed-'));
  const sim = await startS3Simulator({ root, accessKeyId: 'k' });
  const s3 = new S3Client({ endpoint: sim.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: SEED_BUCKET }));
    expect((listed.Contents ?? []).map((c) => c.Key)).toEqual([
      'drone-01/flir/2026-11-24/DCIM/FLIR0001.jpg',
      'drone-01/px4/2026-11-24/logs/10_21_07.ulg',
      'drone-02/px4/2026-11-25/logs/09_12_30.ulg',
    ]);
    expect(sim.counters().requests['ListObjectsV2']).toBe(1);
  } finally {
    s3.destroy();
    await sim.close();
    await rm(root, { recursive: true, force: true });
  }
});
