import { mkdir, open, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LOG_ROOT } from './vehicle-fs';

export interface SdCardSpec {
  /** Number of `.ulg` logs. */
  readonly logs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly seed: number;
  /**
   * Bytes of every log written with pseudo-random content; beyond this the file is sparse (zeros),
   * so a 200 MiB log costs no disk and no time to generate.
   */
  readonly denseBytes: number;
}

export const DEFAULT_SD_CARD: SdCardSpec = { logs: 8, minBytes: 100 * 1024, maxBytes: 200 * 1024 * 1024, seed: 1, denseBytes: 1024 * 1024 };

/** ULog file header (16 bytes): magic `ULog\x01\x12\x35`, version 1, u64 start timestamp in µs. */
export function ulogHeader(timestampUs: bigint): Buffer {
  const h = Buffer.alloc(16);
  Buffer.from([0x55, 0x4c, 0x6f, 0x67, 0x01, 0x12, 0x35]).copy(h, 0);
  h[7] = 1;
  h.writeBigUInt64LE(timestampUs, 8);
  return h;
}

/** A ULog "flag bits" message ('B', 40 bytes), which a valid log carries right after the header. */
function flagBits(): Buffer {
  const m = Buffer.alloc(3 + 40);
  m.writeUInt16LE(40, 0);
  m[2] = 0x42;
  return m;
}

function info(key: string, value: string): Buffer {
  const k = Buffer.from(`char[${value.length}] ${key}`);
  const body = Buffer.concat([Buffer.from([k.length]), k, Buffer.from(value)]);
  const m = Buffer.alloc(3);
  m.writeUInt16LE(body.length, 0);
  m[2] = 0x49; // 'I'
  return Buffer.concat([m, body]);
}

function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/** Deterministic content of one log: header, flag bits, info messages, then pseudo-random bytes. */
export function ulogBytes(size: number, startUs: bigint, seed: number): Buffer {
  const head = Buffer.concat([ulogHeader(startUs), flagBits(), info('sys_name', 'PX4'), info('ver_hw', 'PX4_FMU_V6X')]);
  const out = Buffer.alloc(size);
  head.copy(out, 0, 0, Math.min(size, head.length));
  const r = rng(seed);
  for (let i = head.length; i < size; i++) out[i] = Math.floor(r() * 256);
  return out;
}

/**
 * Fills an empty root like a PX4 SD card: `fs/microsd/log/<YYYY-MM-DD>/<HH_MM_SS>.ulg` (logs
 * started with valid time) and one `sess<NNN>/log<NNN>.ulg` (no GPS time), sizes spread
 * log-uniformly between min and max. Returns the vehicle paths written.
 */
export async function generateSdCard(root: string, spec: SdCardSpec = DEFAULT_SD_CARD): Promise<string[]> {
  const r = rng(spec.seed);
  const paths: string[] = [];
  let t = Date.UTC(2026, 10, 20, 10, 31, 7);
  for (let i = 0; i < spec.logs; i++) {
    const d = new Date(t);
    const day = d.toISOString().slice(0, 10);
    const time = d.toISOString().slice(11, 19).replaceAll(':', '_');
    const rel = i === spec.logs - 1 && spec.logs > 2 ? `sess001/log${String(i).padStart(3, '0')}.ulg` : `${day}/${time}.ulg`;
    const size = Math.round(spec.minBytes * (spec.maxBytes / spec.minBytes) ** r());
    const vehiclePath = `${LOG_ROOT}/${rel}`;
    const file = join(root, vehiclePath);
    await mkdir(dirname(file), { recursive: true });
    const dense = ulogBytes(Math.min(size, spec.denseBytes), BigInt(t) * 1000n, spec.seed * 1000 + i);
    const fh = await open(file, 'w');
    try {
      await fh.write(dense, 0, dense.length, 0);
      if (size > dense.length) await fh.truncate(size);
    } finally {
      await fh.close();
    }
    paths.push(vehiclePath);
    t += Math.round(3600_000 * (0.5 + r() * 20));
  }
  await mkdir(join(root, 'fs/microsd/mission_log'), { recursive: true });
  await writeFile(join(root, 'fs/microsd/params'), Buffer.alloc(0));
  return paths;
}

export async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch {
    return true;
  }
}
