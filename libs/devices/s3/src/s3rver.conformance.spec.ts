import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describeTargetConformance } from '@filesync/core/testing';
import { afterAll } from 'vitest';
import { openS3Target, tempCatalog } from './testing/fixture';
import { S3RVER_CREDENTIALS, type RunningS3rver, startS3rver } from './testing/s3rver-server';

let server: Promise<RunningS3rver> | undefined;
let n = 0;
afterAll(async () => (await server)?.stop());

/**
 * The shared Target suite against s3rver. Its files are small (one PUT each); objects placed "behind
 * the target's back" carry no sha256 metadata, so same-content detection reads them back. Multipart
 * behaviour is in s3-target.spec.ts, since the suite's writes do not announce their content.
 */
describeTargetConformance('s3 target on s3rver', {
  collisionPolicies: ['rename', 'overwrite', 'skip'],
  async setup({ collision }) {
    server ??= startS3rver({ bucket: 'conformance' });
    const s = await server;
    const catalog = await tempCatalog();
    const prefix = `t${++n}/`;
    const client = new S3Client({ endpoint: s.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...S3RVER_CREDENTIALS } });
    return {
      target: openS3Target(s, catalog.path, { prefix, collision }),
      async readStored(location) {
        try {
          const out = await client.send(new GetObjectCommand({ Bucket: s.bucket, Key: prefix + location }));
          return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
        } catch {
          return undefined;
        }
      },
      async placeStored(path, bytes) {
        await client.send(new PutObjectCommand({ Bucket: s.bucket, Key: prefix + path, Body: bytes }));
      },
      async cleanup() {
        client.destroy();
        await catalog.cleanup();
      },
    };
  },
});
