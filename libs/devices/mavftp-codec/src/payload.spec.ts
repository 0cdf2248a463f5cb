import { describe, expect, it } from 'vitest';
import { ALL_NAK_ERRORS, ALL_OPCODES, NakError, Opcode, nakErrorName, opcodeName } from './opcodes';
import { MAX_DATA, PAYLOAD_BYTES, type FtpPayload, dataAsPath, dataAsU32, decodePayload, encodePayload, ftpPayload, nextSeq, pathData, u32Data } from './payload';
import { nakPayload, readNak } from './nak';

/** Seeded xorshift so a failing case is reproducible from the printed seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

function randomPayload(r: () => number, opcode: number): FtpPayload {
  const len = Math.floor(r() * (MAX_DATA + 1));
  const data = new Uint8Array(len);
  for (let i = 0; i < len; i++) data[i] = Math.floor(r() * 256);
  return ftpPayload({
    seq: Math.floor(r() * 65536),
    session: Math.floor(r() * 256),
    opcode,
    reqOpcode: ALL_OPCODES[Math.floor(r() * ALL_OPCODES.length)]!,
    burstComplete: r() < 0.5,
    offset: Math.floor(r() * 0x1_0000_0000),
    data,
  });
}

/** MAVLink 2 drops trailing zeros of the payload; receivers must cope. */
function truncateTrailingZeros(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  while (end > 1 && bytes[end - 1] === 0) end--;
  return bytes.subarray(0, end);
}

// The property test's 200 cases per opcode take 1–2 s alone and over 6 s when the whole suite shares 2 cores
// (a CI run failed it at vitest's 5 s default); its work is fixed, so the timeout only has to catch a hang.
const PROPERTY_TIMEOUT_MS = 30_000;

describe('FTP payload codec', () => {
  it('round-trips every opcode through the full and the zero-truncated wire form (property, 200 cases each)', () => {
    for (const opcode of ALL_OPCODES) {
      const r = rng(opcode * 7919 + 1);
      for (let i = 0; i < 200; i++) {
        const p = randomPayload(r, opcode);
        const wire = encodePayload(p);
        expect(wire.length).toBe(PAYLOAD_BYTES);
        expect(decodePayload(wire), `opcode ${opcodeName(opcode)} case ${i}`).toEqual(p);
        expect(decodePayload(truncateTrailingZeros(wire))).toEqual(p);
      }
    }
  }, PROPERTY_TIMEOUT_MS);

  it('round-trips a NAK for every error code, with errno only for FailErrno', () => {
    for (const error of ALL_NAK_ERRORS) {
      const request = ftpPayload({ seq: 65535, session: 3, opcode: Opcode.OpenFileRO, offset: 17 });
      const nak = nakPayload(request, { error, errno: 2 });
      const back = decodePayload(encodePayload(nak));
      expect(back.opcode).toBe(Opcode.Nak);
      expect(back.reqOpcode).toBe(Opcode.OpenFileRO);
      expect(back.seq).toBe(0); // 65535 + 1 wraps
      expect(back.session).toBe(3); // PX4 echoes the request's session in NAKs
      expect(back.size, nakErrorName(error)).toBe(error === NakError.FailErrno ? 2 : 1);
      expect(readNak(back)).toEqual(error === NakError.FailErrno ? { error, errno: 2 } : { error });
    }
  });

  it('puts each header field at its PX4 byte offset (little-endian)', () => {
    const wire = encodePayload(
      ftpPayload({ seq: 0x1234, session: 5, opcode: Opcode.BurstReadFile, size: 239, reqOpcode: 4, burstComplete: true, offset: 0xa1b2c3d4 }),
    );
    expect([...wire.subarray(0, 12)]).toEqual([0x34, 0x12, 5, 15, 239, 4, 1, 0, 0xd4, 0xc3, 0xb2, 0xa1]);
  });

  it('keeps a ReadFile request’s size (bytes wanted) separate from its empty data', () => {
    const back = decodePayload(encodePayload(ftpPayload({ seq: 1, opcode: Opcode.ReadFile, size: 200, offset: 478 })));
    expect(back.size).toBe(200);
    expect(back.data.length).toBe(0 + 200); // zero-filled bytes up to size, as PX4 would see them
  });

  it('trusts size for data ending in zeros that MAVLink 2 truncated', () => {
    const data = Uint8Array.of(9, 8, 0, 0, 0);
    const wire = truncateTrailingZeros(encodePayload(ftpPayload({ seq: 2, opcode: Opcode.Ack, data })));
    expect(wire.length).toBe(14);
    expect([...decodePayload(wire).data]).toEqual([9, 8, 0, 0, 0]);
  });

  it('refuses more than 239 data bytes', () => {
    expect(() => encodePayload(ftpPayload({ seq: 0, opcode: Opcode.Ack, data: new Uint8Array(240) }))).toThrow(RangeError);
  });

  it('encodes paths and u32 results', () => {
    const p = ftpPayload({ seq: 0, opcode: Opcode.OpenFileRO, data: pathData('/fs/microsd/log/2026-11-20/10_31_07.ulg') });
    expect(dataAsPath(decodePayload(encodePayload(p)))).toBe('/fs/microsd/log/2026-11-20/10_31_07.ulg');
    const ack = ftpPayload({ seq: 1, opcode: Opcode.Ack, data: u32Data(0xdeadbeef) });
    expect(dataAsU32(decodePayload(encodePayload(ack)))).toBe(0xdeadbeef);
    expect(nextSeq(65535)).toBe(0);
    expect(nextSeq(65530, 10)).toBe(4);
  });
});
