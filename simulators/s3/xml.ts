/** The little XML S3 speaks: documents out, and the one body S3 reads in (CompleteMultipartUpload). */

export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

export function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g, (_all, name: string, dec?: string, hex?: string) => {
    if (dec) return String.fromCodePoint(Number(dec));
    if (hex) return String.fromCodePoint(parseInt(hex, 16));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[name] ?? '';
  });
}

/** A value of an element tree: text, a child element, a list of repeated children, or nothing (skipped). */
export type XmlValue = string | number | boolean | undefined | XmlNode | readonly XmlNode[];
export interface XmlNode {
  readonly [name: string]: XmlValue;
}

function render(name: string, value: XmlValue): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((v: XmlNode) => render(name, v)).join('');
  if (typeof value === 'object') return `<${name}>${Object.entries(value as XmlNode).map(([k, v]) => render(k, v)).join('')}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** A document with S3's namespace on the root element. */
export function xmlDocument(root: string, body: XmlNode): string {
  const inner = Object.entries(body).map(([k, v]) => render(k, v)).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_NS}">${inner}</${root}>`;
}

/** S3's error document (no namespace, as AWS sends it). */
export function errorDocument(code: string, message: string, fields: Readonly<Record<string, string>>, requestId: string): string {
  const extra = Object.entries(fields).map(([k, v]) => render(k, v)).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>${extra}<RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`;
}

export interface RequestedPart {
  readonly partNumber: number;
  /** Without quotes. */
  readonly etag: string;
}

/**
 * The parts of a CompleteMultipartUpload body, in the order given; undefined when the body is not
 * that document (the caller answers MalformedXML). Checksum elements are accepted and ignored.
 */
export function parseCompleteBody(xml: string): RequestedPart[] | undefined {
  if (!/<CompleteMultipartUpload[\s>]/.test(xml)) return undefined;
  const parts: RequestedPart[] = [];
  for (const m of xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
    const body = m[1]!;
    const number = /<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(body)?.[1];
    const etag = /<ETag>([\s\S]*?)<\/ETag>/.exec(body)?.[1];
    if (number === undefined || etag === undefined) return undefined;
    parts.push({ partNumber: Number(number), etag: unquoteEtag(unescapeXml(etag.trim())) });
  }
  return parts.length === 0 ? undefined : parts;
}

export function unquoteEtag(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}
