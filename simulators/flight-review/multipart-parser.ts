/**
 * A streaming multipart/form-data parser (RFC 7578), small on purpose: the simulator must take
 * 1 GiB bodies without buffering them, and must see the body byte by byte to inject faults
 * mid-body, so it cannot hand the request to a parser that collects whole parts.
 * Callbacks run synchronously inside `write`; a caller that needs backpressure pauses its source.
 */

export interface PartInfo {
  readonly name: string;
  readonly filename: string | undefined;
  readonly contentType: string | undefined;
}

export interface MultipartHandlers {
  onPartStart(part: PartInfo): void;
  onPartData(chunk: Buffer): void;
  onPartEnd(): void;
}

export class MultipartError extends Error {
  override readonly name = 'MultipartError';
}

/** Part headers larger than this are refused (a malformed or hostile body, not a real form). */
const MAX_HEADER_BYTES = 16 * 1024;

type State = 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'done';

export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

function parseHeaders(block: string): PartInfo {
  let name: string | undefined;
  let filename: string | undefined;
  let contentType: string | undefined;
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-type') contentType = value;
    if (key !== 'content-disposition') continue;
    name = /;\s*name="([^"]*)"/i.exec(value)?.[1] ?? /;\s*name=([^;\s]+)/i.exec(value)?.[1];
    filename = /;\s*filename="([^"]*)"/i.exec(value)?.[1] ?? /;\s*filename=([^;\s]+)/i.exec(value)?.[1];
  }
  if (name === undefined) throw new MultipartError('part without a Content-Disposition name');
  return { name, filename, contentType };
}

export class MultipartParser {
  private state: State = 'preamble';
  private pending: Buffer = Buffer.alloc(0);
  /** The first delimiter may open the body; every later one follows a CRLF that belongs to it. */
  private readonly first: Buffer;
  private readonly delimiter: Buffer;

  constructor(
    boundary: string,
    private readonly handlers: MultipartHandlers,
  ) {
    this.first = Buffer.from(`--${boundary}`, 'latin1');
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  get finished(): boolean {
    return this.state === 'done';
  }

  write(chunk: Buffer): void {
    if (this.state === 'done') return;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    // Each step either consumes bytes or needs more input; the count bounds a malformed body too.
    for (let steps = 0; steps < 1_000_000; steps++) {
      if (!this.step()) return;
    }
    throw new MultipartError('too many parts');
  }

  end(): void {
    if (this.state !== 'done') throw new MultipartError(`body ended in state ${this.state}`);
  }

  /** Advances by one token; false when more input is needed. */
  private step(): boolean {
    const buf = this.pending;
    switch (this.state) {
      case 'preamble': {
        const at = buf.indexOf(this.first);
        if (at < 0) {
          this.pending = buf.subarray(Math.max(0, buf.length - this.first.length + 1));
          return false;
        }
        this.pending = buf.subarray(at + this.first.length);
        this.state = 'after-delimiter';
        return true;
      }
      case 'after-delimiter': {
        if (buf.length < 2) return false;
        const two = buf.toString('latin1', 0, 2);
        if (two === '--') {
          this.state = 'done';
          this.pending = Buffer.alloc(0);
          return false;
        }
        if (two !== '\r\n') throw new MultipartError('expected CRLF after a boundary');
        this.pending = buf.subarray(2);
        this.state = 'headers';
        return true;
      }
      case 'headers': {
        const end = buf.indexOf('\r\n\r\n', 0, 'latin1');
        if (end < 0) {
          if (buf.length > MAX_HEADER_BYTES) throw new MultipartError('part headers too long');
          return false;
        }
        this.handlers.onPartStart(parseHeaders(buf.toString('utf8', 0, end)));
        this.pending = buf.subarray(end + 4);
        this.state = 'body';
        return true;
      }
      case 'body': {
        const at = buf.indexOf(this.delimiter);
        if (at < 0) {
          // Keep a tail that could be the start of a delimiter split across chunks.
          const keep = Math.min(buf.length, this.delimiter.length - 1);
          if (buf.length > keep) this.handlers.onPartData(buf.subarray(0, buf.length - keep));
          this.pending = buf.subarray(buf.length - keep);
          return false;
        }
        if (at > 0) this.handlers.onPartData(buf.subarray(0, at));
        this.handlers.onPartEnd();
        this.pending = buf.subarray(at + this.delimiter.length);
        this.state = 'after-delimiter';
        return true;
      }
      case 'done':
        return false;
    }
  }
}
