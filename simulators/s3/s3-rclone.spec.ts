import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { patternBytes } from '@filesync/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ACCESS_KEY, SECRET_KEY, type S3SimProcess, startS3SimProcess } from './testing/s3-sim-process';

const RCLONE = '/usr/bin/rclone';
const run = promisify(execFile);

let root: string;
let src: string;
let sim: S3SimProcess;

beforeAll(async () => {
  if (!existsSync(RCLONE)) return;
  root = await mkdtemp(join(tmpdir(), 'fs-s3-rclone-'));
  src = await mkdtemp(join(tmpdir(), 'fs-s3-rclone-src-'));
  sim = await startS3SimProcess(root);
});

afterAll(async () => {
  await sim?.stop();
  for (const dir of [root, src]) if (dir) await rm(dir, { recursive: true, force: true });
});

/** rclone with an S3 remote named `sim` on the simulator, configured through the environment only. */
function rclone(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RCLONE_CONFIG_SIM_TYPE: 's3',
    // `Other`: V1 listings and path-style, as rclone treats MinIO-like stores it does not know.
    RCLONE_CONFIG_SIM_PROVIDER: 'Other',
    RCLONE_CONFIG_SIM_ACCESS_KEY_ID: ACCESS_KEY,
    RCLONE_CONFIG_SIM_SECRET_ACCESS_KEY: SECRET_KEY,
    RCLONE_CONFIG_SIM_ENDPOINT: sim.ready.s3,
    RCLONE_CONFIG_SIM_REGION: sim.ready.region,
    RCLONE_CONFIG: '/dev/null',
  };
  // Debian's rclone 1.60 fails to start any S3 remote when AWS_CA_BUNDLE is set (LoadCustomCABundleError); plain http needs none.
  delete env['AWS_CA_BUNDLE'];
  return run(RCLONE, args, { env, timeout: 60_000 });
}

it.skipIf(!existsSync(RCLONE))('rclone (aws-sdk-go, another signer and client) copies a multipart file and a small one in, and checks them by download', async () => {
  await writeFile(join(src, 'video.mp4'), patternBytes(11 * 1024 * 1024 + 5, 31));
  await writeFile(join(src, 'notes +1.txt'), 'flight notes\n');
  await rclone('copy', src, 'sim:rclone-bucket/flight', '--s3-chunk-size', '5M', '--s3-upload-cutoff', '5M');
  const { stdout, stderr } = await rclone('check', '--download', src, 'sim:rclone-bucket/flight');
  expect(`${stdout}${stderr}`).toContain('0 differences found');
  const state = await sim.state();
  expect(state.requests['UploadPart']).toBe(3);
  expect(state.requests['CompleteMultipartUpload']).toBe(1);
  expect(state.errors['SignatureDoesNotMatch']).toBeUndefined();
  expect(state.uploadsInProgress).toEqual([]);
});
