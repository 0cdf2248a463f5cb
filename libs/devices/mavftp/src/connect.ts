import { type Clock, systemClock } from '@filesync/core';
import { MavftpClient, type MavftpClientOptions } from './ftp-client';
import type { LinkAddress } from './link-address';
import { MavlinkLink } from './mavlink-link';
import { type Transport, type TransportOptions, openTransport } from './transport';

export interface ConnectOptions extends MavftpClientOptions, TransportOptions {
  /** `udpin:HOST:PORT`, `udpout:HOST:PORT`, `serial:/dev/X[:BAUD]`, or a ready transport. */
  readonly link: string | LinkAddress | Transport;
  readonly systemId?: number;
  readonly componentId?: number;
  readonly targetSystem?: number;
  /** How long to wait for the autopilot's first HEARTBEAT. */
  readonly heartbeatTimeoutMs?: number;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
}

function isTransport(link: ConnectOptions['link']): link is Transport {
  return typeof link === 'object' && 'send' in link;
}

/** Opens the link, waits for the autopilot's HEARTBEAT, and returns a client that owns the link. */
export async function connectMavftp(options: ConnectOptions): Promise<MavftpClient> {
  const transport = isTransport(options.link) ? options.link : await openTransport(options.link, options);
  const link = new MavlinkLink(transport, {
    systemId: options.systemId ?? 1,
    componentId: options.componentId ?? 191,
    clock: options.clock ?? systemClock,
    ...(options.targetSystem === undefined ? {} : { targetSystem: options.targetSystem }),
  });
  try {
    await link.waitForVehicle(options.heartbeatTimeoutMs ?? 5000, options.signal);
  } catch (err) {
    await link.close();
    throw err;
  }
  return new MavftpClient(link, options);
}
