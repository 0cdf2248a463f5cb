import { type ObjectRecord, compareKeys } from './store';

export interface ListObjectsV2Query {
  readonly prefix: string;
  readonly delimiter: string;
  readonly maxKeys: number;
  readonly continuationToken: string | undefined;
  readonly startAfter: string;
  /** V1: a `marker` equal to a common prefix (a NextMarker) skips the keys under it; V2's start-after is only lexical. */
  readonly markerSkipsItsPrefix?: boolean;
}

export interface ListObjectsV2Page {
  readonly contents: ObjectRecord[];
  readonly commonPrefixes: string[];
  readonly isTruncated: boolean;
  readonly nextContinuationToken: string | undefined;
}

/** The token is opaque to clients; inside: the last key (or common prefix) the previous page gave. */
interface Token {
  readonly after: string;
  readonly prefix: boolean;
}

function encodeToken(t: Token): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

/** Undefined for a token this simulator did not make (the caller answers InvalidArgument). */
export function decodeToken(token: string): Token | undefined {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<Token>;
    return typeof t.after === 'string' ? { after: t.after, prefix: t.prefix === true } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One page of ListObjectsV2 over `sorted` (objects under the prefix, in key order): keys after the
 * continuation point, rolled up into common prefixes at the delimiter, each counting once toward
 * `maxKeys`, as S3 does.
 */
export function listObjectsPage(sorted: readonly ObjectRecord[], q: ListObjectsV2Query): ListObjectsV2Page {
  const token = q.continuationToken === undefined ? undefined : decodeToken(q.continuationToken);
  const skip = (key: string): boolean => {
    if (token) return compareKeys(key, token.after) <= 0 || (token.prefix && key.startsWith(token.after));
    return q.startAfter !== '' && compareKeys(key, q.startAfter) <= 0;
  };
  const contents: ObjectRecord[] = [];
  const commonPrefixes: string[] = [];
  let last: Token | undefined;
  for (const obj of sorted) {
    const at = q.delimiter === '' ? -1 : obj.key.indexOf(q.delimiter, q.prefix.length);
    const cp = at < 0 ? undefined : obj.key.slice(0, at + q.delimiter.length);
    // A V1 marker may be a common prefix (its NextMarker): the keys under it were given as that prefix.
    if (skip(obj.key) || (q.markerSkipsItsPrefix === true && cp !== undefined && cp === q.startAfter)) continue;
    if (cp !== undefined && commonPrefixes[commonPrefixes.length - 1] === cp) continue;
    if (contents.length + commonPrefixes.length >= q.maxKeys) {
      return { contents, commonPrefixes, isTruncated: true, nextContinuationToken: last && encodeToken(last) };
    }
    if (cp !== undefined) {
      commonPrefixes.push(cp);
      last = { after: cp, prefix: true };
    } else {
      contents.push(obj);
      last = { after: obj.key, prefix: false };
    }
  }
  return { contents, commonPrefixes, isTruncated: false, nextContinuationToken: undefined };
}
