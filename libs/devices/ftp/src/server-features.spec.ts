import { describe, expect, it } from 'vitest';
import { parseListDate } from './list-date';
import { parseFeatures, parseHashReply } from './server-features';
import { remotePath } from './paths';

describe('FEAT parsing', () => {
  it('reads SIZE, REST STREAM, MLST, MDTM and the hashes with the verb that asks for each', () => {
    const f = parseFeatures(new Map([['SIZE', ''], ['REST', 'STREAM'], ['MLST', 'type*;size*;'], ['MDTM', ''], ['HASH', 'SHA-256*;SHA-1;MD5'], ['XSHA256', '']]));
    expect(f).toMatchObject({ size: true, rest: true, mlst: true, mdtm: true });
    expect(f.hashes.get('sha256')).toEqual({ verb: 'HASH', algorithm: 'SHA-256' });
    expect(f.hashes.get('md5')).toEqual({ verb: 'HASH', algorithm: 'MD5' });
    const legacy = parseFeatures(new Map([['XMD5', '']]));
    expect(legacy).toMatchObject({ size: false, rest: false });
    expect(legacy.hashes.get('md5')).toEqual({ verb: 'XMD5' });
  });

  it('pulls the digest out of HASH and XSHA256 replies', () => {
    expect(parseHashReply('213 SHA-256 0-99 ABCDEF0123456789 name with spaces.bin')).toBe('abcdef0123456789');
    expect(parseHashReply('213 abcdef0123456789')).toBe('abcdef0123456789');
  });
});

describe('LIST dates', () => {
  const now = Date.UTC(2026, 10, 25, 9, 0);
  it('reads recent and old forms as UTC, putting a yearless date in the last twelve months', () => {
    expect(parseListDate('Nov 25 08:37', now)).toBe(Date.UTC(2026, 10, 25, 8, 37));
    expect(parseListDate('Dec 24 10:00', now)).toBe(Date.UTC(2025, 11, 24, 10, 0));
    expect(parseListDate('Jan 02  2024', now)).toBe(Date.UTC(2024, 0, 2));
    expect(parseListDate('garbage', now)).toBe(0);
  });
});

describe('remote paths', () => {
  it('are absolute, below the login and configured directories, and refuse escapes and CR/LF', () => {
    expect(remotePath('/home/u', 'up/load', 'a/b.bin')).toBe('/home/u/up/load/a/b.bin');
    expect(remotePath('/', '', 'x.bin')).toBe('/x.bin');
    expect(() => remotePath('/', '', '../etc/passwd')).toThrow(/escapes/);
    expect(() => remotePath('/', '', 'a\r\nDELE b')).toThrow(/control character/);
  });
});
