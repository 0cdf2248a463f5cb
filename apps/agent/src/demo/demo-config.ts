import type { ConfigInput } from '@filesync/core/config';

export interface DemoEndpoints {
  readonly px4Udp: string;
  readonly flash: { mountTable: string; diskDir: string; uuid: string };
  readonly cameraFtp: string;
  readonly nasFtp: string;
  readonly flightReview: string;
}

/** The demo's config: the three simulated sources to the simulated FTP server and Flight Review. */
export function demoConfig(dataDir: string, endpoints: DemoEndpoints, statusPort: number): ConfigInput {
  const ftpLogin = { user: 'filesync', password: 'filesync' };
  return {
    dataDir,
    log: { level: 'info' },
    status: { host: '127.0.0.1', port: statusPort },
    staging: { reserveBytes: '64MiB' },
    sources: [
      { id: 'px4', type: 'mavftp', link: `udpout:${endpoints.px4Udp}`, logDir: '/fs/microsd/log', pollIntervalSec: 5 },
      {
        id: 'flir',
        type: 'disk',
        match: { uuid: endpoints.flash.uuid },
        mountTable: endpoints.flash.mountTable,
        diskDir: endpoints.flash.diskDir,
        pollIntervalSec: 2,
      },
      { id: 'camera', type: 'ftp', url: endpoints.cameraFtp, ...ftpLogin, pollIntervalSec: 5 },
    ],
    targets: [
      { id: 'nas', type: 'ftp', url: endpoints.nasFtp, ...ftpLogin, collision: 'rename' },
      { id: 'flight-review', type: 'http', mode: 'flight-review', url: endpoints.flightReview, fields: { description: 'filesync demo' } },
    ],
    routes: [
      { source: 'px4', targets: ['nas', 'flight-review'], filter: { include: ['**/*.ulg'] }, order: 'newest-first' },
      { source: 'flir', targets: ['nas'], policy: 'move' },
      { source: 'camera', targets: ['nas'] },
    ],
  };
}
