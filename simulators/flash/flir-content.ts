import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRandom, fillRandom, mixSeed, randomInt } from './random';

/** What a generated card holds. Sizes are inclusive ranges in bytes. */
export interface FlirContentOptions {
  /** Recording sessions: one folder each, named after its start (`20190403_122014`). */
  readonly sessions?: number;
  readonly imagesPerSession?: number;
  readonly videosPerSession?: number;
  readonly jpegBytes?: readonly [number, number];
  readonly videoBytes?: readonly [number, number];
  /** Start of the first session, ms since the epoch (UTC); default 2019-04-03 12:20:14. */
  readonly startMs?: number;
}

export interface GeneratedFile {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** A FLIR Duo R's radiometric stills are a few hundred KiB; its videos run to tens of MiB. */
export const FLIR_DEFAULTS = {
  sessions: 3,
  imagesPerSession: 12,
  videosPerSession: 1,
  jpegBytes: [250 * 1024, 650 * 1024],
  videoBytes: [8 * 1024 * 1024, 24 * 1024 * 1024],
  startMs: Date.UTC(2019, 3, 3, 12, 20, 14),
} as const;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const stamp = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}_${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
};

function segment(marker: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  out[0] = 0xff;
  out[1] = marker;
  out[2] = ((payload.length + 2) >> 8) & 0xff;
  out[3] = (payload.length + 2) & 0xff;
  out.set(payload, 4);
  return out;
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A minimal little-endian TIFF IFD0 with Make and Model, as the Exif APP1 of a FLIR still carries. */
function exifPayload(): Uint8Array {
  const make = ascii('FLIR Systems AB\0');
  const model = ascii('Duo R\0');
  const entries = 2;
  const ifdSize = 2 + entries * 12 + 4;
  const dataAt = 8 + ifdSize;
  const tiff = new DataView(new ArrayBuffer(dataAt + make.length + model.length));
  tiff.setUint16(0, 0x4949, false); // "II": little-endian
  tiff.setUint16(2, 42, true);
  tiff.setUint32(4, 8, true);
  tiff.setUint16(8, entries, true);
  const entry = (i: number, tag: number, count: number, offset: number): void => {
    const at = 10 + i * 12;
    tiff.setUint16(at, tag, true);
    tiff.setUint16(at + 2, 2, true); // ASCII
    tiff.setUint32(at + 4, count, true);
    tiff.setUint32(at + 8, offset, true);
  };
  entry(0, 0x010f, make.length, dataAt);
  entry(1, 0x0110, model.length, dataAt + make.length);
  const bytes = new Uint8Array(tiff.buffer);
  bytes.set(make, dataAt);
  bytes.set(model, dataAt + make.length);
  return concat([ascii('Exif\0\0'), bytes]);
}

/**
 * A radiometric JPEG laid out like a FLIR Duo R still: SOI, Exif APP1, FLIR APP1 segments carrying an
 * "FFF" record with a 160×120 16-bit raw thermal frame, quantisation and Huffman tables, a baseline
 * frame header, then scan data (0xFF avoided so no marker appears in it) and EOI. Viewers will not
 * show a picture, but parsers that walk the markers find what they expect. The result is exactly
 * `size` bytes for any size above about 400.
 */
export function flirJpeg(size: number, seed: number): Uint8Array {
  // Tests ask for tiny cards: the thermal frame shrinks with the file so the size asked for is kept.
  const raw = new Uint8Array(Math.min(160 * 120 * 2, Math.max(0, Math.floor(size * 0.4) & ~1)));
  fillRandom(raw, seed);
  const fff = concat([ascii('FFF\0'), ascii('Duo R'.padEnd(16, '\0')), new Uint8Array(44), raw]);
  const flirSegments: Uint8Array[] = [];
  const perSegment = 65000;
  const count = Math.ceil(fff.length / perSegment);
  for (let i = 0; i < count; i++) {
    flirSegments.push(segment(0xe1, concat([ascii('FLIR\0'), new Uint8Array([0x01, i, count - 1]), fff.subarray(i * perSegment, (i + 1) * perSegment)])));
  }
  const dqt = segment(0xdb, concat([new Uint8Array([0]), Uint8Array.from({ length: 64 }, (_, i) => 1 + (i % 50))]));
  const sof = segment(0xc0, new Uint8Array([8, 0x04, 0x38, 0x07, 0x80, 3, 1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0]));
  const dht = segment(0xc4, concat([new Uint8Array([0x00, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]), Uint8Array.from({ length: 12 }, (_, i) => i)]));
  const sos = segment(0xda, new Uint8Array([3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]));
  const head = concat([new Uint8Array([0xff, 0xd8]), segment(0xe1, exifPayload()), ...flirSegments, dqt, sof, dht, sos]);
  const scanLength = Math.max(0, size - head.length - 2);
  const scan = new Uint8Array(scanLength);
  fillRandom(scan, seed ^ 0x5a5a5a5a);
  for (let i = 0; i < scan.length; i++) if (scan[i] === 0xff) scan[i] = 0xfe;
  return concat([head, scan, new Uint8Array([0xff, 0xd9])]);
}

function box(type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  new DataView(out.buffer).setUint32(0, out.length, false);
  out.set(ascii(type), 4);
  out.set(payload, 8);
  return out;
}

/** An MP4 shaped like a camera's: `ftyp`, a large `mdat` of stream bytes, then `moov` with `mvhd`. */
export function flirMp4(size: number, seed: number): Uint8Array {
  const ftyp = box('ftyp', concat([ascii('isom'), new Uint8Array([0, 0, 2, 0]), ascii('isomiso2avc1mp41')]));
  const mvhd = new Uint8Array(100);
  const v = new DataView(mvhd.buffer);
  v.setUint32(12, 1000, false); // timescale
  v.setUint32(16, Math.max(1, Math.round(size / 1_000_000)) * 1000, false); // ~1 MB/s of video
  v.setUint32(20, 0x00010000, false); // rate 1.0
  v.setUint16(24, 0x0100, false); // volume 1.0
  v.setUint32(96, 2, false); // next track id
  const moov = box('moov', box('mvhd', mvhd));
  const mdatPayload = new Uint8Array(Math.max(0, size - ftyp.length - moov.length - 8));
  fillRandom(mdatPayload, seed);
  return concat([ftyp, box('mdat', mdatPayload), moov]);
}

/**
 * Fills `dir` with a FLIR Duo-like card: `20190403_122014/20190403_122537_816_R.jpg` stills and
 * `..._IR.mp4` videos. Names come from `nameSeed` and bytes from `byteSeed`, so two cards with the same
 * name seed clash by name (a camera whose clock reset) while holding different pictures.
 */
export async function writeFlirCard(dir: string, nameSeed: number, byteSeed: number, options: FlirContentOptions = {}): Promise<GeneratedFile[]> {
  const o = { ...FLIR_DEFAULTS, ...options };
  const random = createRandom(nameSeed);
  const files: GeneratedFile[] = [];
  let clock = o.startMs;
  for (let s = 0; s < o.sessions; s++) {
    const folder = stamp(clock);
    const items = [...Array<'jpg'>(o.imagesPerSession).fill('jpg'), ...Array<'mp4'>(o.videosPerSession).fill('mp4')];
    for (let i = 0; i < items.length; i++) {
      clock += randomInt(random, 2_000, 90_000);
      const ms = randomInt(random, 0, 999);
      const kind = items[i]!;
      const name = kind === 'jpg' ? `${stamp(clock)}_${pad(ms, 3)}_R.jpg` : `${stamp(clock)}_${pad(ms, 3)}_IR.mp4`;
      const path = `${folder}/${name}`;
      const [min, max] = kind === 'jpg' ? o.jpegBytes : o.videoBytes;
      const size = randomInt(random, min, max);
      const seed = mixSeed(byteSeed, path);
      const bytes = kind === 'jpg' ? flirJpeg(size, seed) : flirMp4(size, seed);
      const file = join(dir, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, bytes);
      await utimes(file, new Date(clock + ms), new Date(clock + ms));
      // Read back: the float seconds of utimes may land a millisecond off.
      files.push({ path, size: bytes.length, mtimeMs: Math.trunc((await stat(file)).mtimeMs) });
    }
    clock += randomInt(random, 10 * 60_000, 3 * 3600_000);
  }
  return files;
}
