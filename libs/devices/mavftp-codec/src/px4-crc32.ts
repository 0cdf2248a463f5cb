import { hashBytes } from '@filesync/core';

/**
 * The CRC-32 PX4's CalcFileCRC32 returns (`crc32part`: reflected 0xEDB88320, initial 0, no final
 * XOR), as a number.
 */
export function px4Crc32(bytes: Uint8Array): number {
  return Number.parseInt(hashBytes('mavlink-crc32', bytes), 16) >>> 0;
}
