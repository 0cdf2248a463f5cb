/** What a PROPFIND (Depth: 0) says about one resource. */
export interface DavStat {
  readonly collection: boolean;
  /** `getcontentlength`; undefined for collections and servers that leave it out. */
  readonly size: number | undefined;
  /** Lower-case hex SHA-256 the server computed itself (ownCloud/Nextcloud `oc:checksums`), if offered. */
  readonly sha256: string | undefined;
}

/**
 * Asks for the few properties we judge by. `oc:checksums` is ownCloud's (and Nextcloud's) property;
 * servers that do not know it answer it in a 404 propstat, which parsing ignores.
 */
export const PROPFIND_BODY =
  '<?xml version="1.0" encoding="utf-8"?>' +
  '<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop>' +
  '<d:resourcetype/><d:getcontentlength/><oc:checksums/>' +
  '</d:prop></d:propfind>';

/**
 * Reads a Depth-0 multistatus without an XML parser: the answer is one `response` of a few known
 * elements, and servers differ only in namespace prefixes (`D:`, `d:`, `lp1:`, or none), which the
 * patterns allow. Only propstats whose status is 200 count; a property a server lacks comes back
 * empty in a 404 propstat and is skipped.
 */
export function parseStat(xml: string): DavStat {
  const ok = okPropstats(xml);
  const collection = /<(?:[\w.-]+:)?resourcetype\b[^>]*>[\s\S]*?<(?:[\w.-]+:)?collection\b/i.test(ok);
  const length = /<(?:[\w.-]+:)?getcontentlength\b[^>]*>\s*(\d+)\s*</i.exec(ok)?.[1];
  return { collection, size: length === undefined ? undefined : Number(length), sha256: sha256Of(ok) };
}

function okPropstats(xml: string): string {
  const blocks = xml.match(/<(?:[\w.-]+:)?propstat\b[\s\S]*?<\/(?:[\w.-]+:)?propstat>/gi) ?? [];
  return blocks.filter((b) => /<(?:[\w.-]+:)?status\b[^>]*>\s*HTTP\/\d(?:\.\d)?\s+200\b/i.test(b)).join('\n');
}

/** ownCloud lists `ALGO:hex` tokens separated by spaces in `oc:checksum` elements (`SHA1:… MD5:… SHA256:…`). */
function sha256Of(ok: string): string | undefined {
  const checksums = /<(?:[\w.-]+:)?checksums\b[^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?checksums>/i.exec(ok)?.[1];
  if (checksums === undefined) return undefined;
  const text = checksums.replace(/<[^>]*>/g, ' ');
  return /\bSHA-?256:([0-9a-f]{64})\b/i.exec(text)?.[1]?.toLowerCase();
}
