/**
 * The FILE_TRANSFER_PROTOCOL `payload[251]` (see MAVFTP.md, "Message"): a 12-byte header and up
 * to 239 data bytes, little-endian. Pure functions over bytes, shared by client and simulator.
 */
export const PAYLOAD_BYTES = 251;
export const HEADER_BYTES = 12;
/** 251 − 12: the most `data` one frame carries (PX4 `kMaxDataLength`). */
export const MAX_DATA = PAYLOAD_BYTES - HEADER_BYTES;

export interface FtpPayload {
  /** u16; a reply carries the request's + 1, burst frames + 1, + 2, … */
  readonly seq: number;
  readonly session: number;
  readonly opcode: number;
  /** Bytes used in `data`; for a ReadFile request, bytes wanted. */
  readonly size: number;
  readonly reqOpcode: number;
  readonly burstComplete: boolean;
  readonly offset: number;
  /**
   * The used part of `data` (`size` bytes, at most 239). A request whose `size` is not the data
   * length (ReadFile asks for `size` bytes and sends none) sets `size` explicitly and leaves data empty.
   */
  readonly data: Uint8Array;
}

export type FtpPayloadInit = Partial<FtpPayload> & Pick<FtpPayload, 'seq' | 'opcode'>;

/** Fills defaults: session 0, size = data length, req_opcode 0, offset 0, no data. */
export function ftpPayload(init: FtpPayloadInit): FtpPayload {
  const data = init.data ?? new Uint8Array();
  return {
    seq: init.seq,
    session: init.session ?? 0,
    opcode: init.opcode,
    size: init.size ?? data.length,
    reqOpcode: init.reqOpcode ?? 0,
    burstComplete: init.burstComplete ?? false,
    offset: init.offset ?? 0,
    data,
  };
}

/** Encodes into the full 251 bytes; unused data bytes are zero (PX4 zeroes them since 2022). */
export function encodePayload(p: FtpPayload): Uint8Array {
  if (p.data.length > MAX_DATA) throw new RangeError(`MAVFTP data is ${p.data.length} bytes; at most ${MAX_DATA} fit`);
  const out = new Uint8Array(PAYLOAD_BYTES);
  const view = new DataView(out.buffer);
  view.setUint16(0, p.seq & 0xffff, true);
  out[2] = p.session & 0xff;
  out[3] = p.opcode & 0xff;
  out[4] = p.size & 0xff;
  out[5] = p.reqOpcode & 0xff;
  out[6] = p.burstComplete ? 1 : 0;
  view.setUint32(8, p.offset >>> 0, true);
  out.set(p.data, HEADER_BYTES);
  return out;
}

/**
 * Decodes a payload. MAVLink 2 drops trailing zeros, so a short buffer is zero-filled; `data` is
 * cut to `size` (file bytes that end in zeros arrive in a shortened frame: always trust `size`).
 */
export function decodePayload(bytes: Uint8Array): FtpPayload {
  const full = new Uint8Array(PAYLOAD_BYTES);
  full.set(bytes.subarray(0, PAYLOAD_BYTES));
  const view = new DataView(full.buffer);
  const size = full[4]!;
  return {
    seq: view.getUint16(0, true),
    session: full[2]!,
    opcode: full[3]!,
    size,
    reqOpcode: full[5]!,
    burstComplete: full[6] === 1,
    offset: view.getUint32(8, true),
    data: full.slice(HEADER_BYTES, HEADER_BYTES + Math.min(size, MAX_DATA)),
  };
}

/** A path as PX4 reads it: `size` bytes of data, cut at the first NUL. */
export function dataAsPath(p: FtpPayload): string {
  const nul = p.data.indexOf(0);
  return new TextDecoder().decode(nul >= 0 ? p.data.subarray(0, nul) : p.data);
}

export function pathData(path: string): Uint8Array {
  const bytes = new TextEncoder().encode(path);
  if (bytes.length > MAX_DATA) throw new RangeError(`MAVFTP path is ${bytes.length} bytes; at most ${MAX_DATA} fit`);
  return bytes;
}

export function u32Data(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, true);
  return out;
}

export function dataAsU32(p: FtpPayload): number {
  if (p.data.length < 4) throw new RangeError(`expected a u32 in data, got ${p.data.length} bytes`);
  return new DataView(p.data.buffer, p.data.byteOffset, 4).getUint32(0, true);
}

/** Sequence numbers wrap at 65536. */
export function nextSeq(seq: number, by = 1): number {
  return (seq + by) & 0xffff;
}
