import { type RunningSimulator, startSimulator } from '@filesync/core';

/** What the S3 simulator's ready line names (simulators/s3/README.md). */
interface S3Ready {
  readonly s3: string;
  readonly control: string;
  readonly region: string;
}

export interface BenchS3Server {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Body bytes the server received for `bucket/key`, as sent on the wire, every request counted (parts sent again too). */
  bytesReceived(bucket: string, key: string): Promise<number>;
  /** Multipart uploads the server holds unfinished (one left by a killed client is expected). */
  uploadsInProgress(): Promise<number>;
  stop(): Promise<void>;
}

const ACCESS_KEY = 'bench';
const SECRET_KEY = 'bench-secret';

interface SimState {
  readonly bytesReceived: Record<string, number>;
  readonly uploadsInProgress: readonly unknown[];
}

/**
 * The S3 simulator, built (`simulators/dist/s3.js`), through the simulators' one start helper. It is
 * the server for both clients: it keeps objects and parts on disk (a 1 GiB object is a file, not
 * memory), verifies SigV4 from both signers (SDK v3 and rclone's aws-sdk-go), and counts every body
 * byte per key on the wire, which is what "bytes sent again after a kill" needs.
 */
export async function startBenchS3Server(root: string, latencyMs = 0): Promise<BenchS3Server> {
  const args = ['--port', '0', '--root', root, '--no-seed', '--access-key', ACCESS_KEY, '--secret-key', SECRET_KEY, ...(latencyMs > 0 ? ['--latency', String(latencyMs)] : [])];
  const sim: RunningSimulator<S3Ready> = await startSimulator<S3Ready>('s3', args, {
    from: 'build',
    timeoutMs: 60_000,
  });
  const state = async (): Promise<SimState> => {
    const res = await fetch(`${sim.ready.control}/state`, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`s3 simulator control: GET /state answered ${res.status}`);
    return (await res.json()) as SimState;
  };
  return {
    endpoint: sim.ready.s3,
    region: sim.ready.region,
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
    bytesReceived: async (bucket, key) => (await state()).bytesReceived[`${bucket}/${key}`] ?? 0,
    uploadsInProgress: async () => (await state()).uploadsInProgress.length,
    stop: () => sim.stop(),
  };
}
