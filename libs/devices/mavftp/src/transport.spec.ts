import { createSocket } from 'node:dgram';
import { SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { caught } from '@filesync/core/testing';
import { MavlinkDecoder, MavlinkEncoder, type MavMessage, Opcode, ftpPayload } from '@filesync/mavftp-codec';
import { parseLinkAddress } from './link-address';
import { MavlinkLink } from './mavlink-link';
import { openTransport } from './transport';

describe('link addresses', () => {
  it('parses the three config forms and names the mistake otherwise', () => {
    expect(parseLinkAddress('udpin:0.0.0.0:14540')).toEqual({ kind: 'udpin', host: '0.0.0.0', port: 14540 });
    expect(parseLinkAddress('udpout:10.0.0.2:14550')).toEqual({ kind: 'udpout', host: '10.0.0.2', port: 14550 });
    expect(parseLinkAddress('serial:/dev/ttyACM0:921600')).toEqual({ kind: 'serial', path: '/dev/ttyACM0', baudRate: 921600 });
    expect(parseLinkAddress('serial:/dev/ttyUSB0')).toEqual({ kind: 'serial', path: '/dev/ttyUSB0', baudRate: 57600 });
    expect(() => parseLinkAddress('tcp:1.2.3.4:5760')).toThrow(/expected udpin/);
    expect(() => parseLinkAddress('udpin:0.0.0.0:70000')).toThrow(/out of range/);
  });
});

describe('serial transport (binding-mock)', () => {
  afterEach(() => SerialPortMock.binding.reset());

  it('frames our HEARTBEAT onto the port and finds the autopilot from its HEARTBEAT', async () => {
    // serialport's own copy of @serialport/binding-mock (a direct import may be another instance).
    SerialPortMock.binding.createPort('/dev/ttyFAKE', { echo: false, record: true });
    let port: SerialPortMock | undefined;
    const transport = await openTransport('serial:/dev/ttyFAKE:921600', {
      openSerial: (o) => {
        port = new SerialPortMock({ ...o, autoOpen: false });
        return port;
      },
    });
    const link = new MavlinkLink(transport, { systemId: 1, componentId: 191 });
    try {
      const px4 = new MavlinkEncoder(1, 1);
      const heartbeat = px4.heartbeat({ type: 2, autopilot: 12, baseMode: 129, customMode: 0, systemStatus: 4 });
      port!.port!.emitData(heartbeat);
      const vehicle = await link.waitForVehicle(2000);
      expect(vehicle).toMatchObject({ sysid: 1, compid: 1, armed: true });
      link.sendFtp(ftpPayload({ seq: 5, opcode: Opcode.ListDirectory }));
      await new Promise((r) => setTimeout(r, 50));
      const decoder = new MavlinkDecoder();
      const seen: MavMessage[] = [];
      decoder.onMessage((m) => seen.push(m));
      decoder.push(port!.port!.recording);
      await new Promise((r) => setTimeout(r, 50));
      decoder.close();
      expect(seen.map((m) => m.kind)).toEqual(['heartbeat', 'ftp']);
      const ftp = seen[1];
      expect(ftp?.kind === 'ftp' && [ftp.sysid, ftp.compid, ftp.targetSystem, ftp.targetComponent]).toEqual([1, 191, 1, 1]);
    } finally {
      await link.close();
    }
  });

  it('fails to open a missing port with a classified error', async () => {
    const err = await caught(() => openTransport('serial:/dev/ttyNOPE', { openSerial: (o) => new SerialPortMock({ ...o, autoOpen: false }) }));
    expect(err).toMatchObject({ kind: 'transient' });
  });
});

describe('UDP transport', () => {
  it('udpin answers the peer that last sent to it', async () => {
    const transport = await openTransport('udpin:127.0.0.1:0'.replace(':0', `:${await freePort()}`));
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    try {
      const got = new Promise<Uint8Array>((r) => transport.onData(r));
      const port = Number(transport.description.split(':').pop());
      peer.send(Buffer.from([1, 2, 3]), port, '127.0.0.1');
      expect([...(await got)]).toEqual([1, 2, 3]);
      const back = new Promise<Buffer>((r) => peer.once('message', r));
      transport.send(Uint8Array.of(9));
      expect([...(await back)]).toEqual([9]);
    } finally {
      peer.close();
      await transport.close();
    }
  });
});

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
