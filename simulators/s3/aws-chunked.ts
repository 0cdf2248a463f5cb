/**
 * Decodes `Content-Encoding: aws-chunked` bodies. SDK v3 sends a streamed PutObject/UploadPart this
 * way to carry its default CRC32 in a trailer (`x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER`);
 * signed streaming adds `;chunk-signature=…` to each size line. Format: `hex-size[;ext]\r\n data \r\n`
 * repeated, a `0` chunk, then `name:value\r\n` trailer lines and an empty line.
 */
export class AwsChunkedDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  readonly trailers: Record<string, string> = {};

  /** Feeds raw body bytes; returns the payload bytes they complete. Throws on a malformed stream. */
  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      if (this.state === 'data') {
        if (this.buffer.length === 0) break;
        const take = Math.min(this.remaining, this.buffer.length);
        out.push(this.buffer.subarray(0, take));
        this.buffer = this.buffer.subarray(take);
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'data-end';
        continue;
      }
      if (this.state === 'done') break;
      const eol = this.buffer.indexOf('\r\n');
      if (eol < 0) {
        if (this.buffer.length > 64 * 1024) throw new Error('aws-chunked: line too long');
        break;
      }
      const line = this.buffer.subarray(0, eol).toString('latin1');
      this.buffer = this.buffer.subarray(eol + 2);
      if (this.state === 'data-end') {
        if (line !== '') throw new Error('aws-chunked: missing CRLF after a chunk');
        this.state = 'size';
      } else if (this.state === 'size') {
        const size = parseInt(line.split(';')[0]!, 16);
        if (!Number.isInteger(size) || size < 0) throw new Error(`aws-chunked: bad chunk size line ${JSON.stringify(line.slice(0, 40))}`);
        if (size === 0) this.state = 'trailer';
        else {
          this.remaining = size;
          this.state = 'data';
        }
      } else if (line === '') {
        this.state = 'done';
      } else {
        const colon = line.indexOf(':');
        if (colon > 0) this.trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
    }
    return out;
  }

  /** True once the final chunk and the trailers' end have arrived. */
  get complete(): boolean {
    return this.state === 'done' || (this.state === 'trailer' && this.buffer.length === 0);
  }
}
