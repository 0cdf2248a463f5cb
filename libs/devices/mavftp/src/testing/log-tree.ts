import { patternBytes } from '@filesync/core/testing';

/** 50 small logs in PX4's layout: three flight days and one session without GPS time. */
export function logTree(): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < 50; i++) {
    const day = i < 20 ? '2026-11-20' : i < 35 ? '2026-11-21' : i < 48 ? '2026-11-22' : null;
    const name = day ? `${day}/${String(8 + (i % 12)).padStart(2, '0')}_${String(i).padStart(2, '0')}_07.ulg` : `sess001/log${String(i).padStart(3, '0')}.ulg`;
    files[name] = patternBytes(1500 + ((i * 7919) % 11000), i + 1);
  }
  return files;
}
