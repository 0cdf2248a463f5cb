import { PermanentError, type Source, type SourceConfig, type Target, type TargetConfig } from '@filesync/core';
import { createLocalSource, createLocalTarget } from '@filesync/device-local';

/** Builds the device for one configured source; each device type is one case. */
export function createSource(config: SourceConfig): Source {
  switch (config.type) {
    case 'local':
      return createLocalSource({ id: config.id, dir: config.dir });
    default:
      throw new PermanentError('unsupported', `sources[id=${config.id}]: type "${config.type}" is not available in this build yet`);
  }
}

export function createTarget(config: TargetConfig): Target {
  switch (config.type) {
    case 'local':
      return createLocalTarget({ id: config.id, dir: config.dir, collision: config.collision });
    default:
      throw new PermanentError('unsupported', `targets[id=${config.id}]: type "${config.type}" is not available in this build yet`);
  }
}
