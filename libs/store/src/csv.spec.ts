import { describe, expect, it } from 'vitest';
import { csvField, csvRecord } from './csv';

describe('CSV (RFC 4180)', () => {
  it('leaves plain fields alone and writes null as empty', () => {
    expect(csvField('log/00001.ulg')).toBe('log/00001.ulg');
    expect(csvField(42)).toBe('42');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
  });

  it('quotes fields with a comma, quote, CR or LF and doubles inner quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField('"')).toBe('""""');
  });

  it('ends each record with CRLF', () => {
    expect(csvRecord(['a', null, 'b,c', 3])).toBe('a,,"b,c",3\r\n');
  });
});
