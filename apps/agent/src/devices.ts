import { join } from 'node:path';
import type { Config, Source, SourceConfig, Target, TargetConfig } from '@filesync/core';
import { createDiskDevice } from '@filesync/device-disk';
import { createFtpSource, createFtpTarget, ftpSourceOptionsFromConfig, ftpTargetOptionsFromConfig } from '@filesync/device-ftp';
import { createHttpTarget, httpTargetOptionsFromConfig } from '@filesync/device-http';
import { createLocalSource, createLocalTarget } from '@filesync/device-local';
import { createMavftpSource } from '@filesync/device-mavftp';
import type { SourceProvider } from '@filesync/pipeline';

/** Builds the device for one configured source; a removable drive is a provider of volume sources. */
export function createSource(config: SourceConfig): Source | SourceProvider {
  switch (config.type) {
    case 'local':
      return createLocalSource({ id: config.id, dir: config.dir });
    case 'ftp':
      return createFtpSource(ftpSourceOptionsFromConfig(config));
    case 'mavftp':
      return createMavftpSource({
        id: config.id,
        link: config.link,
        logDir: config.logDir,
        systemId: config.systemId,
        componentId: config.componentId,
        transferWhileArmed: config.transferWhileArmed,
        requestTimeoutMs: config.requestTimeoutMs,
      });
    case 'disk':
      return diskProvider(config);
  }
}

function diskProvider(config: Extract<SourceConfig, { type: 'disk' }>): SourceProvider {
  const device = createDiskDevice({
    id: config.id,
    match: config.match,
    dir: config.dir,
    mountTable: config.mountTable,
    diskDir: config.diskDir,
    readChunkBytes: config.readChunkBytes,
    maxReadFailures: config.maxReadFailures,
  });
  return {
    configId: config.id,
    watch(listener) {
      const unsubscribe = device.subscribe((event) => listener(event.type === 'disk.drive-mounted' ? event.source : undefined));
      void device.start();
      return unsubscribe;
    },
    close: () => device.close(),
  };
}

export function createTarget(config: TargetConfig, dataDir: Config['dataDir']): Target {
  switch (config.type) {
    case 'local':
      return createLocalTarget({ id: config.id, dir: config.dir, collision: config.collision });
    case 'ftp':
      return createFtpTarget(ftpTargetOptionsFromConfig(config));
    case 'http':
      // The spool holds the in-transit copy and the attempt journal: it must be on persistent disk.
      return createHttpTarget(httpTargetOptionsFromConfig(config, { spoolDir: join(dataDir, 'http', config.id) }));
  }
}
