import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { RCLONE, runCounted } from '../ftp/reference-clients';
import type { BenchS3Server } from './s3-server';

const run = promisify(execFile);

/**
 * rclone's environment for an S3 remote named `bench` on `server`, no config file. Provider `Other`:
 * path-style requests and V1 listings, as rclone treats a store it does not know (MinIO-like).
 */
function rcloneEnv(server: BenchS3Server): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RCLONE_CONFIG: '/dev/null',
    RCLONE_CONFIG_BENCH_TYPE: 's3',
    RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: server.accessKeyId,
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: server.secretAccessKey,
    RCLONE_CONFIG_BENCH_ENDPOINT: server.endpoint,
    RCLONE_CONFIG_BENCH_REGION: server.region,
  };
  // Debian's rclone 1.60 refuses to start an S3 remote when AWS_CA_BUNDLE is set (LoadCustomCABundleError); plain http needs none.
  delete env['AWS_CA_BUNDLE'];
  return env;
}

/** `rclone copy LOCAL bench:BUCKET/DIR` with rclone's defaults (4 transfers, 5 MiB parts, 4 parts at once); returns its CPU seconds. */
export function rcloneS3Copy(server: BenchS3Server, localDir: string, bucket: string, dir: string): Promise<number> {
  return runCounted(RCLONE, ['copy', localDir, `bench:${bucket}/${dir}`], rcloneEnv(server));
}

/** The same copy as a process of its own, to be killed (SIGKILL) mid-transfer. */
export function spawnRcloneS3Copy(server: BenchS3Server, localDir: string, bucket: string, dir: string): ChildProcess {
  return spawn(RCLONE, ['copy', localDir, `bench:${bucket}/${dir}`], { env: rcloneEnv(server), stdio: 'ignore' });
}

export async function rcloneMakeBucket(server: BenchS3Server, bucket: string): Promise<void> {
  await run(RCLONE, ['mkdir', `bench:${bucket}`], { env: rcloneEnv(server), timeout: 60_000 });
}

/** Objects and bytes under `bucket/dir`, listed by rclone: a third party's look at what either client left there. */
export async function rcloneS3Size(server: BenchS3Server, bucket: string, dir: string): Promise<{ count: number; bytes: number }> {
  const { stdout } = await run(RCLONE, ['size', '--json', `bench:${bucket}/${dir}`], { env: rcloneEnv(server), timeout: 600_000 });
  return JSON.parse(stdout) as { count: number; bytes: number };
}
