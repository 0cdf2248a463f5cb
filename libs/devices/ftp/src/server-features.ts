import type { HashName } from '@filesync/core';

/** What a server said it can do in its FEAT reply, read once per connection. */
export interface ServerFeatures {
  readonly size: boolean;
  /** `REST STREAM`: restart a transfer at an offset (RFC 3659). */
  readonly rest: boolean;
  /** MLST/MLSD machine-readable listings. */
  readonly mlst: boolean;
  readonly mdtm: boolean;
  /** Hashes the server computes, and the command that asks for each. */
  readonly hashes: ReadonlyMap<HashName, HashCommand>;
}

export interface HashCommand {
  /** `HASH` (draft-bryan-ftpext-hash, selected with `OPTS HASH`) or a legacy `XSHA256`-style verb. */
  readonly verb: string;
  /** The algorithm name to select with `OPTS HASH`, for the `HASH` verb. */
  readonly algorithm?: string;
}

const HASH_ALGORITHMS: Readonly<Record<string, HashName>> = { 'SHA-256': 'sha256', 'SHA-1': 'sha1', MD5: 'md5', CRC32: 'crc32' };
const LEGACY_VERBS: Readonly<Record<string, HashName>> = { XSHA256: 'sha256', XSHA1: 'sha1', XMD5: 'md5', XCRC: 'crc32' };

/** Reads basic-ftp's FEAT map (first word → rest of line). */
export function parseFeatures(feat: ReadonlyMap<string, string>): ServerFeatures {
  const keys = new Map([...feat].map(([k, v]) => [k.toUpperCase(), v.toUpperCase()]));
  const hashes = new Map<HashName, HashCommand>();
  for (const [verb, name] of Object.entries(LEGACY_VERBS)) if (keys.has(verb)) hashes.set(name, { verb });
  const hashLine = keys.get('HASH');
  if (hashLine !== undefined) {
    // "HASH SHA-256*;SHA-1;MD5": the starred one is the current selection; HASH wins over legacy verbs.
    for (const algorithm of hashLine.split(';').map((a) => a.replace('*', '').trim())) {
      const name = HASH_ALGORITHMS[algorithm];
      if (name) hashes.set(name, { verb: 'HASH', algorithm });
    }
  }
  return {
    size: keys.has('SIZE'),
    rest: keys.get('REST')?.includes('STREAM') ?? false,
    mlst: keys.has('MLST'),
    mdtm: keys.has('MDTM'),
    hashes,
  };
}

/** Pulls the hex digest out of a `213` hash reply ("213 SHA-256 0-99 ab12… name" or "213 ab12…"). */
export function parseHashReply(message: string): string | undefined {
  const words = message.replace(/^213[ -]/, '').trim().split(/\s+/);
  return words.find((w) => /^[0-9a-f]{8,}$/i.test(w))?.toLowerCase();
}
