import { createServer } from 'node:http';
import { createControlServer } from './control-api';
import type { FaultPatch, S3Faults } from './faults';
import { createS3Handler } from './s3-api';
import { seedStore } from './seed';
import { type S3Counters, SimState } from './sim-state';
import { S3Store } from './store';
import { closeServer, listenLocal } from '../shared/control-http';

/** AWS's smallest part (all but the last) in a multipart upload. */
export const AWS_MIN_PART_SIZE = 5 * 1024 * 1024;

export interface S3SimulatorOptions {
  /** Objects, buckets and uploads in progress live here (created when missing; kept across restarts). */
  readonly root: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly controlPort?: number;
  /** The access key clients must sign with (default `filesync`). */
  readonly accessKeyId?: string;
  /** The secret SigV4 signatures are verified with; undefined: only the key id is checked (see auth.ts). */
  readonly secretAccessKey?: string;
  readonly minPartSize?: number;
  /** Fill a root without buckets with a `fleet-seed` bucket (default true). */
  readonly seed?: boolean;
  readonly faults?: FaultPatch;
}

export interface S3Simulator {
  /** `http://127.0.0.1:PORT`, path-style: `/BUCKET/KEY`. */
  readonly endpoint: string;
  readonly control: string;
  readonly accessKeyId: string;
  readonly readyLine: { readonly ready: true; readonly sim: 's3'; readonly s3: string; readonly control: string; readonly region: string; readonly accessKeyId: string };
  faults(): S3Faults;
  setFaults(patch: FaultPatch): S3Faults;
  counters(): S3Counters;
  close(): Promise<void>;
}

/** Starts the S3 simulator and its control API on 127.0.0.1. */
export async function startS3Simulator(options: S3SimulatorOptions): Promise<S3Simulator> {
  const store = await S3Store.open(options.root);
  if (options.seed ?? true) await seedStore(store);
  const state = new SimState();
  if (options.faults) state.setFaults(options.faults);
  const accessKeyId = options.accessKeyId ?? 'filesync';
  let endpoint = '';
  const s3 = createServer(createS3Handler(store, state, { credentials: { accessKeyId, secretAccessKey: options.secretAccessKey }, minPartSize: options.minPartSize ?? AWS_MIN_PART_SIZE, endpoint: () => endpoint }));
  const control = createControlServer(store, state);
  endpoint = await listenLocal(s3, options.port ?? 0);
  const controlUrl = await listenLocal(control, options.controlPort ?? 0);
  return {
    endpoint,
    control: controlUrl,
    accessKeyId,
    readyLine: { ready: true, sim: 's3', s3: endpoint, control: controlUrl, region: 'us-east-1', accessKeyId },
    faults: () => state.faults,
    setFaults: (patch) => state.setFaults(patch),
    counters: () => structuredClone(state.counters),
    close: async () => {
      await Promise.all([closeServer(s3), closeServer(control)]);
    },
  };
}
