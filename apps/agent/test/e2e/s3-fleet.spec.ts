import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3RVER_CREDENTIALS, type RunningS3rver, startS3rver } from '@filesync/device-s3/testing';
import { S3_DEFAULT_PART_CONCURRENCY } from '@filesync/core/config';
import { type MultipartRecords, openMultipartRecords } from '@filesync/store';
import { afterEach, describe, expect, it } from 'vitest';
import { MIB, hashTree, settled, waitForStatus, worldsForTests } from './harness';

/**
 * Issue 21 items 1 and 2: the real agent delivers a local source to s3rver (an independent S3
 * implementation from npm, on 127.0.0.1) under the fleet layout `{vehicle}/{source}/{path}`; small
 * files go in one PUT, the 13 MiB one as a multipart upload of 5 MiB parts. Every object is
 * byte-identical, carries its sha256 as metadata, and no multipart upload is left open.
 */
describe('e2e: the agent delivers to an S3-compatible store (s3rver)', () => {
  const worlds = worldsForTests();
  let s3: RunningS3rver | undefined;
  afterEach(async () => {
    await s3?.stop();
    s3 = undefined;
  });

  it('every file lands under its vehicle prefix, byte-identical, with its sha256 metadata', async () => {
    const w = await worlds.create();
    const server = (s3 = await startS3rver({ bucket: 'fleet' }));
    const root = w.simRoot('camera');
    const sizes: Record<string, number> = { 'dcim/a.jpg': 1, 'dcim/b.jpg': 70_000, 'logs/flight.ulg': 2 * MIB + 5, 'video/survey.mp4': 13 * MIB + 17, 'empty.txt': 0 };
    for (const [path, size] of Object.entries(sizes)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), randomBytes(size));
    }
    const files = await hashTree(root);
    const url = await w.startAgent({
      ...w.baseConfig(),
      vehicle: 'drone-7',
      sources: [{ id: 'camera', type: 'local', dir: root, pollIntervalSec: 1 }],
      targets: [
        {
          id: 'bucket',
          type: 's3',
          endpoint: server.endpoint,
          bucket: server.bucket,
          prefix: 'fleet/',
          accessKeyId: S3RVER_CREDENTIALS.accessKeyId,
          secretAccessKey: S3RVER_CREDENTIALS.secretAccessKey,
          partSize: '5MiB',
          multipartThreshold: '6MiB',
        },
      ],
      routes: [{ source: 'camera', targets: ['bucket'], targetPath: '{vehicle}/{source}/{path}' }],
    });
    const end = await waitForStatus(w, url, (s) => settled(s, files.size), 'every file delivered to the bucket', 120_000);
    expect(end.counts.files).toMatchObject({ delivered: files.size });
    expect(await w.stopAgent()).toBe(0);

    const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...S3RVER_CREDENTIALS } });
    try {
      for (const [path, f] of files) {
        const key = `fleet/drone-7/camera/${path}`;
        const head = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: key }));
        expect(head.Metadata?.['sha256'], key).toBe(f.sha256);
        const body = await (await client.send(new GetObjectCommand({ Bucket: server.bucket, Key: key }))).Body?.transformToByteArray();
        expect(createHash('sha256').update(body ?? new Uint8Array()).digest('hex'), key).toBe(f.sha256);
      }
    } finally {
      client.destroy();
    }
    // The big file went in parts (one upload, three parts), the others in one PUT each.
    const parts = server.requests.filter((r) => r.partNumber !== undefined);
    expect(new Set(parts.map((r) => r.key))).toEqual(new Set(['fleet/drone-7/camera/video/survey.mp4']));
    expect(parts.map((r) => r.partNumber).sort()).toEqual([1, 2, 3]);
    expect(await server.openUploads()).toEqual([]);
  }, 180_000);

  it('an agent SIGKILLed in the middle of a multipart upload goes on with the parts not recorded after restart (re-sent at most the parts in flight: partConcurrency, default 2)', async () => {
    const w = await worlds.create();
    const server = (s3 = await startS3rver({ bucket: 'fleet' }));
    const root = w.simRoot('camera');
    await mkdir(join(root, 'video'), { recursive: true });
    const size = 41 * MIB + 3;
    await writeFile(join(root, 'video', 'long.mp4'), randomBytes(size));
    const files = await hashTree(root);
    const config = {
      ...w.baseConfig(),
      vehicle: 'drone-7',
      sources: [{ id: 'camera', type: 'local' as const, dir: root, pollIntervalSec: 1 }],
      targets: [
        { id: 'bucket', type: 's3' as const, endpoint: server.endpoint, bucket: server.bucket, ...S3RVER_CREDENTIALS, partSize: '5MiB', multipartThreshold: '6MiB' },
      ],
      routes: [{ source: 'camera', targets: ['bucket'], targetPath: '{vehicle}/{path}' }],
    };
    await w.startAgent(config);
    // The agent's own catalog says when two parts are acknowledged; then the power goes.
    const catalogPath = join(w.dataDir, 'catalog.db');
    let records: MultipartRecords | undefined;
    let parts = 0;
    for (let i = 0; i < 3000 && parts < 2; i++) {
      if (w.agent?.child.exitCode !== null) throw new Error(`agent ended early: ${w.agent?.stderr.join('').slice(-2000)}`);
      if (!records && existsSync(catalogPath)) records = await Promise.resolve().then(() => openMultipartRecords(catalogPath)).catch(() => undefined);
      parts = records?.get('bucket', 'drone-7/video/long.mp4')?.parts.length ?? 0;
      if (parts < 2) await new Promise((r) => setTimeout(r, 20));
    }
    w.agent?.child.kill('SIGKILL');
    await w.agent?.exited;
    const before = records?.get('bucket', 'drone-7/video/long.mp4');
    records?.close();
    expect(before?.parts.length).toBeGreaterThanOrEqual(2);
    expect(before?.parts.length).toBeLessThan(9);
    const uploadId = before?.uploadId ?? '';
    // Parts finish out of order when several are in flight: the recorded ones are a set, not 1..n.
    const recordedBefore = (before?.parts ?? []).map((p) => p.partNumber);

    const url = await w.startAgent(config);
    await waitForStatus(w, url, (s) => settled(s, files.size), 'the file delivered after the restart', 120_000);
    expect(await w.stopAgent()).toBe(0);
    const sent = server.requests.filter((r) => r.partNumber !== undefined);
    // One upload only: the restarted agent adopted it from the catalog instead of starting over.
    expect(new Set(sent.map((r) => r.uploadId))).toEqual(new Set([uploadId]));
    const partBytes = sent.reduce((n, r) => n + r.bytes, 0);
    // A kill costs at most the parts in flight: the default partConcurrency (S3_DEFAULT_PART_CONCURRENCY) of 5 MiB.
    expect(partBytes - size).toBeLessThanOrEqual(S3_DEFAULT_PART_CONCURRENCY * 5 * MIB);
    // Parts recorded before the kill were not sent again.
    for (const n of recordedBefore) expect(sent.filter((r) => r.partNumber === n).length, `part ${n}`).toBe(1);
    const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...S3RVER_CREDENTIALS } });
    try {
      const body = await (await client.send(new GetObjectCommand({ Bucket: server.bucket, Key: 'drone-7/video/long.mp4' }))).Body?.transformToByteArray();
      expect(createHash('sha256').update(body ?? new Uint8Array()).digest('hex')).toBe(files.get('video/long.mp4')?.sha256);
    } finally {
      client.destroy();
    }
    expect(await server.openUploads()).toEqual([]);
  }, 240_000);

  it('a fleet: three agents with different vehicle names push the same file names to one bucket at once; none overwrites another', async () => {
    const server = (s3 = await startS3rver({ bucket: 'fleet' }));
    const vehicles = ['drone-1', 'drone-2', 'drone-3'];
    const agents = await Promise.all(vehicles.map(() => worlds.create()));
    const expected = new Map<string, string>();
    for (const [i, w] of agents.entries()) {
      const root = w.simRoot('camera');
      // The same names on every vehicle, different bytes; one file big enough for a multipart upload.
      for (const [path, size] of [['logs/flight.ulg', 300_000], ['video/survey.mp4', 7 * MIB]] as const) {
        await mkdir(dirname(join(root, path)), { recursive: true });
        const bytes = randomBytes(size);
        await writeFile(join(root, path), bytes);
        expected.set(`fleet/${vehicles[i]}/camera/${path}`, createHash('sha256').update(bytes).digest('hex'));
      }
    }
    const urls = await Promise.all(
      agents.map((w, i) =>
        w.startAgent({
          ...w.baseConfig(),
          vehicle: vehicles[i],
          sources: [{ id: 'camera', type: 'local', dir: w.simRoot('camera'), pollIntervalSec: 1 }],
          targets: [
            { id: 'bucket', type: 's3', endpoint: server.endpoint, bucket: server.bucket, prefix: 'fleet/', ...S3RVER_CREDENTIALS, partSize: '5MiB', multipartThreshold: '6MiB' },
          ],
          routes: [{ source: 'camera', targets: ['bucket'], targetPath: '{vehicle}/{source}/{path}' }],
        }),
      ),
    );
    await Promise.all(agents.map((w, i) => waitForStatus(w, urls[i]!, (s) => settled(s, 2), `${vehicles[i]} delivered`, 120_000)));
    for (const w of agents) expect(await w.stopAgent()).toBe(0);
    const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...S3RVER_CREDENTIALS } });
    try {
      for (const [key, sha256] of expected) {
        const body = await (await client.send(new GetObjectCommand({ Bucket: server.bucket, Key: key }))).Body?.transformToByteArray();
        expect(createHash('sha256').update(body ?? new Uint8Array()).digest('hex'), key).toBe(sha256);
      }
    } finally {
      client.destroy();
    }
    // No PUT or completion hit another vehicle's key. Each agent's first small file went twice: the
    // second, conditional, PUT of the same bytes learnt that s3rver ignores If-None-Match (conditional-puts.ts).
    const writes = server.requests.filter((r) => (r.method === 'PUT' && r.partNumber === undefined) || (r.method === 'POST' && r.uploadId !== undefined)).map((r) => r.key);
    expect([...new Set(writes)].sort()).toEqual([...expected.keys()].sort());
    expect(writes).toHaveLength(expected.size + agents.length);
    expect(await server.openUploads()).toEqual([]);
  }, 240_000);
});
