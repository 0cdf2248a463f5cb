import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { HashName } from './source';

/** An incremental hash with a hex digest; one shape for the crypto hashes and the CRCs. */
export interface Hasher {
  update(chunk: Uint8Array): void;
  /** Lower-case hex; CRCs as 8 hex digits. */
  digest(): string;
}

function crcHasher(initial: number, toZlib: (state: number) => number, fromZlib: (value: number) => number): Hasher {
  let state = initial;
  return {
    update(chunk) {
      state = fromZlib(crc32(chunk, toZlib(state)));
    },
    digest() {
      return (state >>> 0).toString(16).padStart(8, '0');
    },
  };
}

export function createHasher(name: HashName): Hasher {
  switch (name) {
    case 'sha256':
    case 'sha1':
    case 'md5': {
      const hash = createHash(name);
      return { update: (chunk) => void hash.update(chunk), digest: () => hash.digest('hex') };
    }
    case 'crc32':
      return crcHasher(0, (s) => s, (v) => v);
    case 'mavlink-crc32':
      // PX4's crc32part keeps the raw register with no pre/post inversion; zlib inverts on entry and exit.
      return crcHasher(0, (s) => ~s >>> 0, (v) => ~v >>> 0);
    default:
      return assertNever(name);
  }
}

export function hashBytes(name: HashName, bytes: Uint8Array): string {
  const hasher = createHasher(name);
  hasher.update(bytes);
  return hasher.digest();
}

export async function hashStream(name: HashName, chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const hasher = createHasher(name);
  for await (const chunk of chunks) hasher.update(chunk);
  return hasher.digest();
}

/** Exhaustiveness check for switches over closed unions. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
