import { describe, expect, it } from 'vitest';
import { MultipartError, MultipartParser, boundaryOf } from './multipart-parser';

const BODY =
  'preamble to ignore\r\n' +
  '--B0\r\nContent-Disposition: form-data; name="description"\r\n\r\nline 1\r\nline 2\r\n' +
  '--B0\r\nContent-Disposition: form-data; name="filearg"; filename="a.ulg"\r\nContent-Type: application/octet-stream\r\n\r\n' +
  'bytes with \r\n--B and --B0 inside\r\n' +
  '--B0--\r\nepilogue';

function parse(chunks: Buffer[]): { fields: Record<string, string>; files: Record<string, string> } {
  const fields: Record<string, string> = {};
  const files: Record<string, string> = {};
  let current: { name: string; file: boolean; data: Buffer[] } | undefined;
  const parser = new MultipartParser('B0', {
    onPartStart: (p) => (current = { name: p.name, file: p.filename !== undefined, data: [] }),
    onPartData: (c) => current?.data.push(Buffer.from(c)),
    onPartEnd: () => {
      if (current) (current.file ? files : fields)[current.name] = Buffer.concat(current.data).toString('latin1');
    },
  });
  for (const c of chunks) parser.write(c);
  parser.end();
  return { fields, files };
}

describe('MultipartParser', () => {
  it('parses fields and a file whatever the chunk boundaries (every split point of the body)', () => {
    const body = Buffer.from(BODY, 'latin1');
    const expected = { fields: { description: 'line 1\r\nline 2' }, files: { filearg: 'bytes with \r\n--B and --B0 inside' } };
    expect(parse([body])).toEqual(expected);
    for (let cut = 1; cut < body.length; cut++) expect(parse([body.subarray(0, cut), body.subarray(cut)])).toEqual(expected);
    expect(parse([...body].map((b) => Buffer.of(b)))).toEqual(expected);
  });

  it('refuses a body that ends before the closing boundary', () => {
    const parser = new MultipartParser('B0', { onPartStart: () => undefined, onPartData: () => undefined, onPartEnd: () => undefined });
    parser.write(Buffer.from(BODY.slice(0, 150), 'latin1'));
    expect(() => parser.end()).toThrow(MultipartError);
  });

  it('finds the boundary in a Content-Type header, quoted or not', () => {
    expect(boundaryOf('multipart/form-data; boundary=abc')).toBe('abc');
    expect(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b"')).toBe('a b');
    expect(boundaryOf('application/json')).toBeUndefined();
  });
});
