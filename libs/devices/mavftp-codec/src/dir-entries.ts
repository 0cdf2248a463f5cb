import { MAX_DATA } from './payload';

/**
 * Directory entries of a ListDirectory(/WithTime) ACK (see MAVFTP.md, "ListDirectory"):
 * `F<name>\t<size>[\t<mtime>]\0`, `D<name>[\t0\t<mtime>]\0`, `S\0`. Every entry, `S` included,
 * counts toward the next request's offset.
 */
export type DirEntry =
  | { readonly kind: 'file'; readonly name: string; readonly size: number; readonly mtimeSec?: number }
  | { readonly kind: 'dir'; readonly name: string; readonly mtimeSec?: number }
  | { readonly kind: 'skip' };

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeDirEntry(entry: DirEntry, withTime = false): Uint8Array {
  switch (entry.kind) {
    case 'skip':
      return Uint8Array.of(0x53, 0);
    case 'file': {
      const time = withTime ? `\t${entry.mtimeSec ?? 0}` : '';
      return enc.encode(`F${entry.name}\t${entry.size}${time}\0`);
    }
    case 'dir': {
      // Directory times only since PX4 PR #28628; the bare form is what older main sends.
      return enc.encode(`D${entry.name}\0`);
    }
  }
}

/**
 * Packs as many whole entries as fit into one reply (PX4 stops when `offset + textLen + 2 > 239`).
 * Returns the bytes and how many entries they hold.
 */
export function packDirEntries(entries: readonly DirEntry[], withTime = false): { data: Uint8Array; count: number } {
  const parts: Uint8Array[] = [];
  let used = 0;
  let count = 0;
  for (const entry of entries) {
    const bytes = encodeDirEntry(entry, withTime);
    // bytes = type char + text + NUL, so bytes.length = textLen + 2, PX4's own test.
    if (used + bytes.length > MAX_DATA) break;
    parts.push(bytes);
    used += bytes.length;
    count++;
  }
  const data = new Uint8Array(used);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return { data, count };
}

/** Parses a ListDirectory ACK's data; unknown type letters count as entries (as `skip`). */
export function parseDirEntries(data: Uint8Array): DirEntry[] {
  const out: DirEntry[] = [];
  let at = 0;
  while (at < data.length) {
    let end = data.indexOf(0, at);
    if (end < 0) end = data.length;
    const text = dec.decode(data.subarray(at, end));
    at = end + 1;
    if (text.length === 0) continue;
    const type = text[0];
    const fields = text.slice(1).split('\t');
    const name = fields[0] ?? '';
    if (type === 'F') {
      const size = Number(fields[1] ?? '0');
      const mtime = fields[2] === undefined ? undefined : Number(fields[2]);
      out.push(mtime === undefined ? { kind: 'file', name, size } : { kind: 'file', name, size, mtimeSec: mtime });
    } else if (type === 'D') {
      const mtime = fields[2] === undefined ? undefined : Number(fields[2]);
      out.push(mtime === undefined ? { kind: 'dir', name } : { kind: 'dir', name, mtimeSec: mtime });
    } else {
      out.push({ kind: 'skip' });
    }
  }
  return out;
}
