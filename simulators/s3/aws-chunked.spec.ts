import { expect, it } from 'vitest';
import { AwsChunkedDecoder } from './aws-chunked';

/** A body as SDK v3 frames it: size lines (signed streaming adds `;chunk-signature=`), a 0 chunk, trailers. */
function frame(chunks: readonly Buffer[], trailer: string, signed: boolean): Buffer {
  const ext = signed ? ';chunk-signature=0123abcd' : '';
  const parts = chunks.flatMap((c) => [Buffer.from(`${c.length.toString(16)}${ext}\r\n`), c, Buffer.from('\r\n')]);
  return Buffer.concat([...parts, Buffer.from(`0${ext}\r\n${trailer}\r\n`)]);
}

it.each([false, true])('decodes aws-chunked bodies split at any byte (signed chunks: %s) and reads the checksum trailer', (signed) => {
  const payload = [Buffer.from('hello, '), Buffer.alloc(70_000, 7), Buffer.from('world\r\n')];
  const wire = frame(payload, 'x-amz-checksum-crc32:AAAAAA==\r\n', signed);
  for (const step of [1, 3, 4096, wire.length]) {
    const d = new AwsChunkedDecoder();
    const out: Buffer[] = [];
    for (let at = 0; at < wire.length; at += step) out.push(...d.push(wire.subarray(at, at + step)));
    expect(Buffer.concat(out).equals(Buffer.concat(payload))).toBe(true);
    expect(d.complete).toBe(true);
    expect(d.trailers).toEqual({ 'x-amz-checksum-crc32': 'AAAAAA==' });
  }
});

it('a body cut before its last chunk is not complete; a bad size line throws', () => {
  const wire = frame([Buffer.from('abc')], '', false);
  const d = new AwsChunkedDecoder();
  d.push(wire.subarray(0, 6));
  expect(d.complete).toBe(false);
  expect(() => new AwsChunkedDecoder().push(Buffer.from('zz\r\nabc'))).toThrow(/bad chunk size/);
});
