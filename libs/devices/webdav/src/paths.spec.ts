import { describe, expect, it } from 'vitest';
import { segmentsOf, urlOf } from './paths';

describe('paths', () => {
  const base = new URL('http://127.0.0.1:8080/remote.php/dav/files/drone/');
  it('percent-encodes each name whole: %, #, ?, \\, spaces and Unicode stay characters of the name', () => {
    const url = urlOf(base, segmentsOf('100%/a#b?c/back\\slash ü.bin'));
    expect(url.pathname).toBe('/remote.php/dav/files/drone/100%25/a%23b%3Fc/back%5Cslash%20%C3%BC.bin');
    expect(url.search).toBe('');
    expect(url.hash).toBe('');
    expect(url.pathname.split('/').slice(5).map(decodeURIComponent)).toEqual(['100%', 'a#b?c', 'back\\slash ü.bin']);
  });
  it('a literal "%2F" in a name is not a separator', () => {
    expect(urlOf(base, segmentsOf('x%2Fy')).pathname.endsWith('/x%252Fy')).toBe(true);
  });
  it('refuses ".." and NUL with a reason; drops empty and "." names as every target does', () => {
    expect(() => segmentsOf('a/../../b')).toThrow(/escapes its root/);
    expect(() => segmentsOf('a/b\0c')).toThrow(/NUL/);
    expect(segmentsOf('/a//./b')).toEqual(['a', 'b']);
    expect(urlOf(base, ['...', '.hidden']).pathname.endsWith('/.../.hidden')).toBe(true);
  });
});
