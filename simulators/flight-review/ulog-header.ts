/**
 * The ULog file header (PX4 docs, "ULog File Format"): 7 magic bytes `U L o g 0x01 0x12 0x35`, one
 * version byte (1 today), then a uint64 little-endian start timestamp in microseconds: 16 bytes.
 * Flight Review compares only the 7 magic bytes (`ULog.HEADER_BYTES` in pyulog) before it parses
 * the rest; the simulator does the same and reports the version it saw.
 */
export const ULOG_MAGIC = Uint8Array.of(0x55, 0x4c, 0x6f, 0x67, 0x01, 0x12, 0x35);
export const ULOG_HEADER_BYTES = 16;

export function hasUlogMagic(head: Uint8Array): boolean {
  if (head.length < ULOG_MAGIC.length) return false;
  return ULOG_MAGIC.every((b, i) => head[i] === b);
}

/** A valid 16-byte header: magic, version 1, the given timestamp. */
export function ulogHeader(timestampUs = 0n): Uint8Array {
  const out = new Uint8Array(ULOG_HEADER_BYTES);
  out.set(ULOG_MAGIC, 0);
  out[7] = 1;
  new DataView(out.buffer).setBigUint64(8, timestampUs, true);
  return out;
}
