import { openMultipartRecords } from '@filesync/store';
import { type S3Log, type S3TargetConfig, s3TargetOptionsFromConfig } from './options';
import { type S3Target, createS3Target } from './s3-target';

/**
 * Opens a configured S3 target with its own connection to the catalog at `storePath` (closed by
 * `close`). `sweepAtOpen`: the agent's link aborts stale uploads at once; `filesync doctor` does not.
 */
export function openS3Target(config: S3TargetConfig, runtime: { storePath: string; log?: S3Log; sweepAtOpen?: boolean }): S3Target {
  const records = openMultipartRecords(runtime.storePath);
  try {
    return createS3Target(s3TargetOptionsFromConfig(config, { records, sweepAtOpen: runtime.sweepAtOpen === true, ...(runtime.log ? { log: runtime.log } : {}) }));
  } catch (err) {
    records.close();
    throw err;
  }
}
