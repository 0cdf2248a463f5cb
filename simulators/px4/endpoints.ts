import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import type { Vehicle } from './vehicle';

export interface Endpoint {
  readonly address: string;
  close(): Promise<void>;
}

/**
 * PX4's UDP link as SITL runs it: listen on a port and answer whichever peer last sent to us.
 */
export async function startUdpEndpoint(vehicle: Vehicle, port: number, host = '127.0.0.1', remote?: { address: string; port: number }): Promise<Endpoint> {
  const socket = createSocket('udp4');
  // With a remote (PX4's `-o` partner port, e.g. 14540 for an onboard computer) it talks first.
  let peer: { address: string; port: number } | undefined = remote;
  const link = vehicle.addLink('udp', (frame) => {
    if (peer) socket.send(frame, peer.port, peer.address);
  });
  socket.on('message', (msg, rinfo) => {
    const isNew = peer?.address !== rinfo.address || peer.port !== rinfo.port;
    peer = { address: rinfo.address, port: rinfo.port };
    link.receive(msg);
    if (isNew) link.announce();
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.bind(port, host, resolve));
  if (remote) link.announce();
  const bound = socket.address();
  return {
    address: `${bound.address}:${bound.port}`,
    close: async () => {
      link.close();
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

/**
 * PX4's serial (USB CDC / UART) link over a real pseudo-terminal, so clients use serialport on a
 * tty exactly as on hardware. The pty pair comes from a small Python relay (Node has no openpty).
 */
export async function startPtyEndpoint(vehicle: Vehicle): Promise<Endpoint> {
  const script = fileURLToPath(new URL('./pty-relay.py', import.meta.url));
  const child: ChildProcess = spawn('python3', [script], { stdio: ['pipe', 'pipe', 'pipe'] });
  const path = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('pty relay did not start')), 10_000);
    child.once('error', reject);
    child.stderr?.on('data', (d: Buffer) => {
      text += d.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(text.slice(0, nl).trim());
      }
    });
  });
  const link = vehicle.addLink('pty', (frame) => {
    child.stdin?.write(frame);
  });
  child.stdout?.on('data', (d: Buffer) => link.receive(d));
  child.stdin?.on('error', () => undefined);
  return {
    address: path,
    close: async () => {
      link.close();
      child.kill('SIGKILL');
    },
  };
}
