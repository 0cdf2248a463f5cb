import { describe, expect, it } from 'vitest';
import { multipartFrame } from './multipart';

describe('multipartFrame', () => {
  it('frames fields and a file so that head + bytes + tail is a well-formed form', () => {
    const frame = multipartFrame({ description: 'a "quoted"\r\nname', email: '' }, { field: 'filearg', fileName: 'log "1".ulg' }, 'XYZ');
    expect(frame.contentType).toBe('multipart/form-data; boundary=XYZ');
    const body = Buffer.concat([frame.head, Buffer.from('DATA'), frame.tail]).toString('utf8');
    expect(body).toBe(
      '--XYZ\r\nContent-Disposition: form-data; name="description"\r\n\r\na "quoted"\r\nname\r\n' +
        '--XYZ\r\nContent-Disposition: form-data; name="email"\r\n\r\n\r\n' +
        '--XYZ\r\nContent-Disposition: form-data; name="filearg"; filename="log %221%22.ulg"\r\nContent-Type: application/octet-stream\r\n\r\n' +
        'DATA\r\n--XYZ--\r\n',
    );
  });

  it('draws a fresh random boundary per upload', () => {
    const a = multipartFrame({}, { field: 'f', fileName: 'x' });
    const b = multipartFrame({}, { field: 'f', fileName: 'x' });
    expect(a.contentType).not.toBe(b.contentType);
  });
});
