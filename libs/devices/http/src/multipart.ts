import { randomBytes } from 'node:crypto';

/**
 * The bytes around a file in a multipart/form-data body (RFC 7578). The file itself is streamed
 * between `head` and `tail`, so the body is never held in memory and its length is known before
 * sending (`Content-Length`; Flight Review's MultiPartStreamer sizes its progress by it and Tornado
 * refuses an oversized body from that header before reading it).
 */
export interface MultipartFrame {
  readonly contentType: string;
  /** The text fields, then the file part's headers. */
  readonly head: Buffer;
  /** The CRLF that ends the file part and the closing boundary. */
  readonly tail: Buffer;
}

export interface MultipartFile {
  readonly field: string;
  readonly fileName: string;
  readonly contentType?: string;
}

/** WHATWG form encoding for names in Content-Disposition: quote, CR and LF are percent-escaped. */
function quoted(name: string): string {
  return `"${name.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}"`;
}

export function multipartFrame(fields: Readonly<Record<string, string>>, file: MultipartFile, boundary = newBoundary()): MultipartFrame {
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}\r\n\r\n${value}\r\n`;
  }
  head +=
    `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(file.field)}; filename=${quoted(file.fileName)}\r\n` +
    `Content-Type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`;
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    head: Buffer.from(head, 'utf8'),
    tail: Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
  };
}

/** 32 random hex digits: a collision with a field value or file bytes is not a practical concern. */
export function newBoundary(): string {
  return `----filesync${randomBytes(16).toString('hex')}`;
}
