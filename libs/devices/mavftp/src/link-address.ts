import { PermanentError } from '@filesync/core';

/** A MAVLink endpoint as written in config (`libs/core/src/config/sources.ts`). */
export type LinkAddress =
  | { readonly kind: 'udpin'; readonly host: string; readonly port: number }
  | { readonly kind: 'udpout'; readonly host: string; readonly port: number }
  | { readonly kind: 'serial'; readonly path: string; readonly baudRate: number };

export const DEFAULT_SERIAL_BAUD = 57600;

/** Parses `udpin:HOST:PORT`, `udpout:HOST:PORT` or `serial:/dev/X[:BAUD]`. */
export function parseLinkAddress(text: string): LinkAddress {
  const udp = /^(udpin|udpout):([^:]+):(\d+)$/.exec(text);
  if (udp) {
    const port = Number(udp[3]);
    if (port > 65535) throw new PermanentError('bad-request', `link "${text}": port ${port} is out of range`);
    return { kind: udp[1] as 'udpin' | 'udpout', host: udp[2]!, port };
  }
  const serial = /^serial:([^:]+)(?::(\d+))?$/.exec(text);
  if (serial) return { kind: 'serial', path: serial[1]!, baudRate: serial[2] ? Number(serial[2]) : DEFAULT_SERIAL_BAUD };
  throw new PermanentError('bad-request', `link "${text}": expected udpin:HOST:PORT, udpout:HOST:PORT or serial:/dev/ttyXXX[:BAUD]`);
}
