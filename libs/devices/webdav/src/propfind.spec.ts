import { describe, expect, it } from 'vitest';
import { parseStat } from './propfind';

// Answers as three server families write them: prefixes differ, meaning does not.
const SABRE = `<?xml version="1.0"?>
<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:oc="http://owncloud.org/ns">
 <d:response><d:href>/remote.php/dav/files/drone/a.ulg</d:href>
  <d:propstat><d:prop><d:resourcetype/><d:getcontentlength>1234</d:getcontentlength>
   <oc:checksums><oc:checksum>SHA1:0123456789abcdef0123456789abcdef01234567 MD5:0123456789abcdef0123456789abcdef SHA256:${'AB'.repeat(32)}</oc:checksum></oc:checksums>
  </d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
 </d:response></d:multistatus>`;

const APACHE = `<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:" xmlns:ns0="DAV:">
<D:response xmlns:lp1="DAV:" xmlns:g0="http://owncloud.org/ns">
<D:href>/dav/a.ulg</D:href>
<D:propstat><D:prop><lp1:resourcetype/><lp1:getcontentlength>77</lp1:getcontentlength></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
<D:propstat><D:prop><g0:checksums/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>
</D:response></D:multistatus>`;

const FOLDER = `<?xml version="1.0" encoding="UTF-8"?><D:multistatus xmlns:D="DAV:"><D:response><D:href>/a/</D:href><D:propstat><D:prop><D:resourcetype><D:collection xmlns:D="DAV:"/></D:resourcetype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>`;

/** A checksum in a 404 propstat is no claim at all. */
const NOT_FOUND_SUMS = `<D:multistatus xmlns:D="DAV:"><D:response><D:propstat><D:prop><D:getcontentlength>5</D:getcontentlength></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat><D:propstat><D:prop><checksums xmlns="http://owncloud.org/ns"><checksum>SHA256:${'cd'.repeat(32)}</checksum></checksums></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat></D:response></D:multistatus>`;

describe('parseStat', () => {
  it('reads size and the server SHA-256 from a Sabre/ownCloud answer (lower-cased)', () => {
    expect(parseStat(SABRE)).toEqual({ collection: false, size: 1234, sha256: 'ab'.repeat(32) });
  });
  it('reads an Apache answer with other prefixes; a property in a 404 propstat is ignored', () => {
    expect(parseStat(APACHE)).toEqual({ collection: false, size: 77, sha256: undefined });
    expect(parseStat(NOT_FOUND_SUMS)).toEqual({ collection: false, size: 5, sha256: undefined });
  });
  it('knows a folder', () => {
    expect(parseStat(FOLDER)).toEqual({ collection: true, size: undefined, sha256: undefined });
  });
});
