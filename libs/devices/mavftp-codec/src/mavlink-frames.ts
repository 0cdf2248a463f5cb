import { MavLinkPacketParser, MavLinkPacketSplitter, MavLinkProtocolV2, common, minimal } from 'node-mavlink';
import type { MavLinkPacket } from 'node-mavlink';
import { type FtpPayload, decodePayload, encodePayload } from './payload';

/** MAVLink message ids this codec speaks. */
export const MSG_HEARTBEAT = 0;
export const MSG_SYSTEM_TIME = 2;
export const MSG_FILE_TRANSFER_PROTOCOL = 110;
/** HEARTBEAT base_mode bit MAV_MODE_FLAG_SAFETY_ARMED. */
export const MODE_FLAG_SAFETY_ARMED = 128;
/** Largest unsigned MAVLink 2 frame of FILE_TRANSFER_PROTOCOL: 10 header + 254 payload + 2 CRC. */
export const MAX_FTP_FRAME_BYTES = 266;

export interface Heartbeat {
  readonly type: number;
  readonly autopilot: number;
  readonly baseMode: number;
  readonly customMode: number;
  readonly systemStatus: number;
}

interface MessageBase {
  readonly sysid: number;
  readonly compid: number;
}

export type MavMessage =
  | (MessageBase & { readonly kind: 'ftp'; readonly targetNetwork: number; readonly targetSystem: number; readonly targetComponent: number; readonly payload: FtpPayload })
  | (MessageBase & { readonly kind: 'heartbeat'; readonly heartbeat: Heartbeat })
  | (MessageBase & { readonly kind: 'system-time'; readonly timeBootMs: number })
  | (MessageBase & { readonly kind: 'other'; readonly msgid: number });

/** Serialises our messages as MAVLink 2 frames (framing, trailing-zero truncation and CRC by node-mavlink). */
export class MavlinkEncoder {
  private readonly protocol: MavLinkProtocolV2;
  private seq = 0;

  constructor(readonly sysid: number, readonly compid: number) {
    this.protocol = new MavLinkProtocolV2(sysid, compid);
  }

  ftp(target: { system: number; component: number; network?: number }, payload: FtpPayload): Buffer {
    const msg = new common.FileTransferProtocol();
    msg.targetNetwork = target.network ?? 0;
    msg.targetSystem = target.system;
    msg.targetComponent = target.component;
    msg.payload = Array.from(encodePayload(payload));
    return this.protocol.serialize(msg, this.nextSeq());
  }

  heartbeat(hb: Heartbeat): Buffer {
    const msg = new minimal.Heartbeat();
    // node-mavlink types these fields as enums; the numbers are the wire values.
    msg.type = hb.type as minimal.MavType;
    msg.autopilot = hb.autopilot as minimal.MavAutopilot;
    msg.baseMode = hb.baseMode as minimal.MavModeFlag;
    msg.customMode = hb.customMode;
    msg.systemStatus = hb.systemStatus as minimal.MavState;
    msg.mavlinkVersion = 3;
    return this.protocol.serialize(msg, this.nextSeq());
  }

  systemTime(timeBootMs: number, unixUs: bigint = BigInt(Date.now()) * 1000n): Buffer {
    const msg = new common.SystemTime();
    msg.timeBootMs = timeBootMs >>> 0;
    msg.timeUnixUsec = unixUs;
    return this.protocol.serialize(msg, this.nextSeq());
  }

  /** COMMAND_LONG (test ground stations arm, take off and disarm a PX4 SITL with it). */
  commandLong(target: { system: number; component: number }, command: number, params: readonly number[]): Buffer {
    const msg = new common.CommandLong();
    msg.targetSystem = target.system;
    msg.targetComponent = target.component;
    // node-mavlink types the command as an enum; the number is the wire value.
    msg.command = command as common.MavCmd;
    msg.confirmation = 0;
    const p = (i: number): number => params[i] ?? 0;
    [msg._param1, msg._param2, msg._param3, msg._param4, msg._param5, msg._param6, msg._param7] = [p(0), p(1), p(2), p(3), p(4), p(5), p(6)];
    return this.protocol.serialize(msg, this.nextSeq());
  }

  private nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) & 0xff;
    return s;
  }
}

function toMessage(packet: MavLinkPacket): MavMessage {
  const { sysid, compid, msgid } = packet.header;
  const p = packet.payload;
  switch (msgid) {
    case MSG_FILE_TRANSFER_PROTOCOL:
      return {
        kind: 'ftp',
        sysid,
        compid,
        targetNetwork: p[0] ?? 0,
        targetSystem: p[1] ?? 0,
        targetComponent: p[2] ?? 0,
        payload: decodePayload(p.subarray(3)),
      };
    case MSG_HEARTBEAT: {
      const full = Buffer.alloc(9);
      p.copy(full, 0, 0, Math.min(9, p.length));
      return {
        kind: 'heartbeat',
        sysid,
        compid,
        heartbeat: { customMode: full.readUInt32LE(0), type: full[4]!, autopilot: full[5]!, baseMode: full[6]!, systemStatus: full[7]! },
      };
    }
    case MSG_SYSTEM_TIME: {
      const full = Buffer.alloc(12);
      p.copy(full, 0, 0, Math.min(12, p.length));
      return { kind: 'system-time', sysid, compid, timeBootMs: full.readUInt32LE(8) };
    }
    default:
      return { kind: 'other', sysid, compid, msgid };
  }
}

/**
 * Turns a byte stream (serial, pty, or UDP datagrams fed in order) into messages. Resync and CRC
 * checks are node-mavlink's splitter; a frame with a bad CRC is dropped there. Known weakness of that
 * splitter: a stray 0xFD followed by an unknown message id skips the bogus length, which can swallow
 * the next good frame; the client's retransmission covers it.
 */
export class MavlinkDecoder {
  private readonly splitter = new MavLinkPacketSplitter();
  private readonly parser = new MavLinkPacketParser();
  private listener: ((msg: MavMessage) => void) | undefined;

  constructor() {
    this.splitter.pipe(this.parser);
    this.parser.on('data', (packet: MavLinkPacket) => this.listener?.(toMessage(packet)));
  }

  onMessage(listener: (msg: MavMessage) => void): void {
    this.listener = listener;
  }

  push(bytes: Uint8Array): void {
    this.splitter.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  close(): void {
    this.listener = undefined;
    this.splitter.unpipe(this.parser);
    this.splitter.destroy();
    this.parser.destroy();
  }
}
