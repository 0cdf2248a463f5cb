import { S3Client, type S3ClientConfig, S3ServiceException } from '@aws-sdk/client-s3';
import { type RunningSimulator, startSimulator } from '@filesync/core';
import { expect } from 'vitest';

export const ACCESS_KEY = 'sim-access-key';
export const SECRET_KEY = 'sim-secret-key';

export interface S3ReadyLine {
  readonly s3: string;
  readonly control: string;
  readonly region: string;
  readonly accessKeyId: string;
}

export interface S3SimState {
  requests: Record<string, number>;
  bytesReceived: Record<string, number>;
  errors: Record<string, number>;
  faultsFired: Record<string, number>;
  uploadsInProgress: { bucket: string; key: string; uploadId: string; parts: number; bytes: number }[];
  partsReceiving: { bucket: string; key: string; uploadId: string; partNumber: number; received: number; declared: number | null; startedAt: number }[];
}

/**
 * The S3 simulator as tests start it: a child process through the one shared helper (from source,
 * tsx), on a root the caller owns so a restart can reuse it, driven over its control API.
 */
export interface S3SimProcess {
  readonly ready: S3ReadyLine;
  readonly sim: RunningSimulator<S3ReadyLine>;
  /** An SDK v3 client for this simulator (path-style, the test credentials). */
  client(overrides?: Partial<S3ClientConfig>): S3Client;
  setFaults(patch: Record<string, unknown>): Promise<void>;
  state(): Promise<S3SimState>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startS3SimProcess(root: string, flags: readonly string[] = []): Promise<S3SimProcess> {
  const sim = await startSimulator<S3ReadyLine>(
    's3',
    ['--port', '0', '--root', root, '--no-seed', '--access-key', ACCESS_KEY, '--secret-key', SECRET_KEY, ...flags],
    { from: 'source', timeoutMs: 20_000 },
  );
  const { ready } = sim;
  const control = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${ready.control}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const json = (await res.json()) as unknown;
    if (!res.ok) throw new Error(`control ${method} ${path}: ${JSON.stringify(json)}`);
    return json;
  };
  const clients: S3Client[] = [];
  return {
    ready,
    sim,
    client: (overrides = {}) => {
      const c = new S3Client({
        endpoint: ready.s3,
        region: ready.region,
        forcePathStyle: true,
        credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
        ...overrides,
      });
      clients.push(c);
      return c;
    },
    setFaults: async (patch) => void (await control('POST', '/faults', patch)),
    state: async () => (await control('GET', '/state')) as S3SimState,
    stop: async (signal = 'SIGTERM') => {
      for (const c of clients) c.destroy();
      await sim.stop(signal);
    },
  };
}

/** The error an SDK call throws, as an S3ServiceException (fails the test if it resolves or throws something else). */
export async function s3Failure(p: Promise<unknown>): Promise<S3ServiceException> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(S3ServiceException);
  return err as S3ServiceException;
}
