import { describe, expect, it } from 'vitest';
import { MAX_FTP_FRAME_BYTES, type MavMessage, MavlinkDecoder, MavlinkEncoder } from './mavlink-frames';
import { Opcode } from './opcodes';
import { ftpPayload } from './payload';

async function decodeAll(bytes: Uint8Array, expected: number): Promise<MavMessage[]> {
  const decoder = new MavlinkDecoder();
  const out: MavMessage[] = [];
  const done = new Promise<void>((resolve) => {
    decoder.onMessage((m) => {
      out.push(m);
      if (out.length === expected) resolve();
    });
  });
  decoder.push(bytes);
  await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
  decoder.close();
  return out;
}

describe('MAVLink 2 frames', () => {
  it('round-trips FTP, HEARTBEAT and SYSTEM_TIME through bytes with line noise between frames', async () => {
    const enc = new MavlinkEncoder(1, 1);
    const data = new Uint8Array(239).fill(7);
    const ftp = enc.ftp({ system: 255, component: 190 }, ftpPayload({ seq: 9, opcode: Opcode.Ack, reqOpcode: Opcode.BurstReadFile, offset: 478, data }));
    expect(ftp.length).toBe(MAX_FTP_FRAME_BYTES);
    const hb = enc.heartbeat({ type: 2, autopilot: 12, baseMode: 128 | 1, customMode: 0, systemStatus: 4 });
    const st = enc.systemTime(123456);
    const stream = Buffer.concat([Buffer.from([1, 2, 3]), ftp, hb, Buffer.from([0, 0]), st]);
    const msgs = await decodeAll(stream, 3);
    expect(msgs.map((m) => m.kind)).toEqual(['ftp', 'heartbeat', 'system-time']);
    const [m0, m1, m2] = msgs;
    if (m0?.kind !== 'ftp' || m1?.kind !== 'heartbeat' || m2?.kind !== 'system-time') throw new Error('kinds');
    expect(m0.sysid).toBe(1);
    expect(m0.targetSystem).toBe(255);
    expect(m0.targetComponent).toBe(190);
    expect(m0.payload.offset).toBe(478);
    expect(m0.payload.data).toEqual(data);
    expect(m1.heartbeat.baseMode & 128).toBe(128);
    expect(m2.timeBootMs).toBe(123456);
  });

  it('drops a frame with a corrupted CRC and keeps the next one', async () => {
    const enc = new MavlinkEncoder(1, 1);
    const bad = enc.ftp({ system: 1, component: 1 }, ftpPayload({ seq: 1, opcode: Opcode.ListDirectory, data: Uint8Array.of(47) }));
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
    const good = enc.ftp({ system: 1, component: 1 }, ftpPayload({ seq: 2, opcode: Opcode.ListDirectory, data: Uint8Array.of(47) }));
    const msgs = await decodeAll(Buffer.concat([bad, good]), 1);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]?.kind === 'ftp' && msgs[0].payload.seq).toBe(2);
  });
});
