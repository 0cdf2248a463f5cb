import { join } from 'node:path';
import { logToParent } from '@filesync/actors/actor';
import type { Source, Target } from '@filesync/core';
import type { SourceConfig, TargetConfig } from '@filesync/core/config';
import type { SourceProvider } from '../source-provider';

/**
 * Builds the device of one config entry. Each kind's module is imported only when a link of that
 * kind starts: a local or FTP link must not pay for node-mavlink and serialport (start-up time on a
 * Raspberry Pi that restarts after a power cut).
 */
export async function openSource(config: SourceConfig): Promise<Source | SourceProvider> {
  switch (config.type) {
    case 'local': {
      const { createLocalSource } = await import('@filesync/device-local');
      return createLocalSource({ id: config.id, dir: config.dir });
    }
    case 'ftp': {
      const { createFtpSource, ftpSourceOptionsFromConfig } = await import('@filesync/device-ftp');
      return createFtpSource(ftpSourceOptionsFromConfig(config));
    }
    case 'mavftp': {
      const { createMavftpSource } = await import('@filesync/device-mavftp');
      return createMavftpSource({
        id: config.id,
        link: config.link,
        logDir: config.logDir,
        systemId: config.systemId,
        componentId: config.componentId,
        transferWhileArmed: config.transferWhileArmed,
        requestTimeoutMs: config.requestTimeoutMs,
      });
    }
    case 'disk':
      return openDiskProvider(config);
  }
}

async function openDiskProvider(config: Extract<SourceConfig, { type: 'disk' }>): Promise<SourceProvider> {
  const { createDiskDevice } = await import('@filesync/device-disk');
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

/**
 * `storePath`: the catalog, where an S3 target records its multipart parts (default DATADIR/catalog.db).
 * `forLink`: opened by the agent's link, which owns the device (an S3 target then sweeps stale uploads
 * at once); without it (`filesync doctor`) opening changes nothing on the device.
 */
export async function openTarget(config: TargetConfig, dataDir: string, options: { storePath?: string; forLink?: boolean } = {}): Promise<Target> {
  switch (config.type) {
    case 'local': {
      const { createLocalTarget } = await import('@filesync/device-local');
      return createLocalTarget({ id: config.id, dir: config.dir, collision: config.collision });
    }
    case 'ftp': {
      const { createFtpTarget, ftpTargetOptionsFromConfig } = await import('@filesync/device-ftp');
      return createFtpTarget(ftpTargetOptionsFromConfig(config));
    }
    case 'http': {
      const { createHttpTarget, httpTargetOptionsFromConfig } = await import('@filesync/device-http');
      // The spool holds the in-transit copy and the attempt journal: it must be on persistent disk.
      return createHttpTarget(httpTargetOptionsFromConfig(config, { spoolDir: join(dataDir, 'http', config.id) }));
    }
    case 'webdav': {
      const { createWebdavTarget, webdavTargetOptionsFromConfig } = await import('@filesync/device-webdav');
      return createWebdavTarget(webdavTargetOptionsFromConfig(config));
    }
    case 's3': {
      // The AWS SDK (tens of MB) is loaded here, in this target's link thread only.
      const { openS3Target } = await import('@filesync/device-s3');
      return openS3Target(config, { storePath: options.storePath ?? join(dataDir, 'catalog.db'), sweepAtOpen: options.forLink === true, log: linkLog(`target:${config.id}/link`) });
    }
  }
}

/** A device's log lines, sent to the agent's log by the link's thread (`logToParent`; nowhere outside a worker). */
function linkLog(actor: string): (level: 'info' | 'warn', message: string, detail?: Record<string, unknown>) => void {
  return (level, message, detail) => logToParent({ level, obj: { actor, ...detail }, msg: message });
}
