import type { DavClient } from './dav-client';

/**
 * Whether the server writes a `PUT` with `Content-Range` into the existing file at that offset
 * (Apache `mod_dav` does), found by trying it on a scratch file rather than by trusting anything it
 * announces: RFC 9110 lets a server that does not support it answer 400, but Go's `x/net/webdav`
 * (under `rclone serve webdav`) ignores the header and replaces the file with the piece, and only
 * reading the scratch file back tells the two apart. The scratch file is removed again.
 *
 * The scratch name is fixed per target (`.filesync-probe-<id>`), so one left by a crash mid-probe is
 * replaced by the next probe and then removed. Agents probing the same name at once cannot make a
 * server that ignores ranges look as if it honoured them: only an honoured range yields `012345`.
 *
 * `undefined`: the probe could not run (the folder refuses writes); the caller then does not resume.
 */
export async function probeContentRange(client: DavClient, folder: URL, targetId: string): Promise<boolean | undefined> {
  const scratch = new URL(`.filesync-probe-${encodeURIComponent(targetId)}`, folder);
  try {
    const first = await client.call({ method: 'PUT', url: scratch, body: new TextEncoder().encode('0123') });
    if (first.status < 200 || first.status > 299) return undefined;
    const piece = await client.call({ method: 'PUT', url: scratch, headers: { 'content-range': 'bytes 4-5/*' }, body: new TextEncoder().encode('45') });
    if (piece.status < 200 || piece.status > 299) return false;
    const back = await client.call({ method: 'GET', url: scratch });
    return back.status === 200 && back.body === '012345';
  } finally {
    await client.call({ method: 'DELETE', url: scratch }).catch(() => undefined);
  }
}
