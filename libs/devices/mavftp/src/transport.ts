import { createSocket } from 'node:dgram';
import type { Duplex } from 'node:stream';
import { TransientError, classifyErrno } from '@filesync/core';
import { SerialPort } from 'serialport';
import { type LinkAddress, parseLinkAddress } from './link-address';

/** Bytes in and out of one MAVLink link; framing is the link's job, not the transport's. */
export interface Transport {
  readonly description: string;
  send(bytes: Uint8Array): void;
  onData(listener: (bytes: Uint8Array) => void): void;
  /** Called once if the transport dies (serial unplugged, socket error). */
  onError(listener: (err: Error) => void): void;
  close(): Promise<void>;
}

/** A serial port before it is opened (serialport's `SerialPort`, or `SerialPortMock` in unit tests). */
export type SerialPortLike = Duplex & {
  open(callback: (err: Error | null) => void): void;
  close(callback?: (err: Error | null) => void): void;
  readonly isOpen: boolean;
};

export interface TransportOptions {
  /** Makes the serial port; defaults to serialport's native binding. */
  readonly openSerial?: (options: { path: string; baudRate: number }) => SerialPortLike;
}

/** Opens the transport a config `link` names. */
export async function openTransport(link: string | LinkAddress, options: TransportOptions = {}): Promise<Transport> {
  const address = typeof link === 'string' ? parseLinkAddress(link) : link;
  switch (address.kind) {
    case 'udpin':
    case 'udpout':
      return openUdpTransport(address);
    case 'serial':
      return openSerialTransport(address.path, address.baudRate, options.openSerial);
  }
}

/**
 * UDP in both roles: `udpin` listens and answers the peer that last sent to it (how PX4's own GCS
 * link behaves); `udpout` sends to a fixed address and accepts replies from it.
 */
async function openUdpTransport(address: Extract<LinkAddress, { kind: 'udpin' | 'udpout' }>): Promise<Transport> {
  const socket = createSocket('udp4');
  let peer: { host: string; port: number } | undefined = address.kind === 'udpout' ? { host: address.host, port: address.port } : undefined;
  let dataListener: ((bytes: Uint8Array) => void) | undefined;
  let errorListener: ((err: Error) => void) | undefined;
  socket.on('message', (msg, rinfo) => {
    if (address.kind === 'udpin') peer = { host: rinfo.address, port: rinfo.port };
    dataListener?.(msg);
  });
  socket.on('error', (err) => errorListener?.(err));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    const onBound = (): void => {
      socket.off('error', reject);
      resolve();
    };
    if (address.kind === 'udpin') socket.bind(address.port, address.host, onBound);
    else socket.bind(0, onBound);
  }).catch((err: unknown) => {
    throw classifyErrno(err) ?? new TransientError('disconnected', `cannot open ${address.kind}:${address.host}:${address.port}`, { cause: err });
  });
  return {
    description: `${address.kind}:${address.host}:${address.port}`,
    send(bytes) {
      if (peer) socket.send(bytes, peer.port, peer.host);
    },
    onData(listener) {
      dataListener = listener;
    },
    onError(listener) {
      errorListener = listener;
    },
    close: () =>
      new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve();
        }
      }),
  };
}

async function openSerialTransport(path: string, baudRate: number, make: TransportOptions['openSerial']): Promise<Transport> {
  const port = make ? make({ path, baudRate }) : new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve()))).catch((err: unknown) => {
    throw classifyErrno(err) ?? new TransientError('device-gone', `cannot open serial ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  });
  const transport = streamTransport(port, `serial:${path}:${baudRate}`);
  return {
    ...transport,
    // Closed through the port itself: its lock on the tty is released before this resolves, so
    // a reconnect right after does not meet "Cannot lock port".
    close: async () => {
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      await transport.close();
    },
  };
}

/** Any Node duplex stream as a transport (a pty, a socket pair, serialport). */
export function streamTransport(stream: Duplex, description = 'stream'): Transport {
  let errorListener: ((err: Error) => void) | undefined;
  stream.on('error', (err: Error) => errorListener?.(err));
  stream.on('close', () => errorListener?.(new TransientError('disconnected', `${description} closed`)));
  return {
    description,
    send(bytes) {
      if (!stream.destroyed) stream.write(bytes);
    },
    onData(listener) {
      stream.on('data', (d: Buffer) => listener(d));
    },
    onError(listener) {
      errorListener = listener;
    },
    close: () =>
      new Promise<void>((resolve) => {
        errorListener = undefined;
        if (stream.destroyed) return resolve();
        stream.once('close', () => resolve());
        stream.destroy();
      }),
  };
}
