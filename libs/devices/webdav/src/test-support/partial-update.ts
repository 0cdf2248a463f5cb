import { appendFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProxyHooks } from './dav-proxy';

/**
 * Hooks that give rclone Sabre's partial updates (PartialUpdate plugin, as sabre/dav documents it):
 * OPTIONS announces `sabredav-partialupdate` in the DAV header, and `PATCH` with
 * `Content-Type: application/x-sabredav-partialupdate`, `X-Update-Range: append` and a Content-Length
 * appends to the file in rclone's root. Anything else Sabre would refuse is refused the same way
 * (400 no range, 415 wrong type, 411 no length), so the target is held to the real protocol.
 */
export function sabrePartialUpdate(root: string, counts: { patches: number } = { patches: 0 }): ProxyHooks {
  return {
    answer: async (req, body, res) => {
      if (req.method !== 'PATCH') return false;
      const refuse = (status: number, text: string): true => {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(text);
        return true;
      };
      if (req.headers['x-update-range'] !== 'append') return refuse(400, 'No valid "X-Update-Range" found in the headers');
      if (req.headers['content-type'] !== 'application/x-sabredav-partialupdate') return refuse(415, 'Unknown Content-Type header');
      if (req.headers['content-length'] === undefined) return refuse(411, 'A Content-Length header is required');
      const file = join(root, ...(req.url ?? '/').split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent));
      if (!(await stat(file).then((s) => s.isFile(), () => false))) return refuse(404, 'not found');
      await appendFile(file, body);
      counts.patches++;
      res.writeHead(204);
      res.end();
      return true;
    },
    response: (req, _status, headers) => (req.method === 'OPTIONS' ? { headers: { ...headers, dav: '1, 2, 3, sabredav-partialupdate' } } : {}),
  };
}
