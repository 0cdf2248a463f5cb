import { appendFile, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProxyHooks } from './dav-proxy';

export type { ProxyHooks };

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
      const file = fileOf(root, req.url);
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

/** The file in rclone's root that a request path names (the proxy forwards paths unchanged). */
function fileOf(root: string, url: string | undefined): string {
  return join(root, ...(url ?? '/').split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent));
}

/**
 * Hooks that give rclone Apache `mod_dav`'s partial PUT: a `PUT` with `Content-Range: bytes A-B/*`
 * writes its body at offset A of the existing file (rclone itself ignores the header and would
 * replace the file with the piece). A range whose length differs from the body is refused (400), as
 * Apache does.
 */
export function contentRangePut(root: string, counts: { pieces: number } = { pieces: 0 }): ProxyHooks {
  return {
    answer: async (req, body, res) => {
      const range = req.headers['content-range'];
      if (req.method !== 'PUT' || range === undefined) return false;
      const m = /^bytes (\d+)-(\d+)\/(\*|\d+)$/.exec(range);
      if (!m || Number(m[2]) - Number(m[1]) + 1 !== body.length) {
        res.writeHead(400);
        res.end('bad Content-Range');
        return true;
      }
      const handle = await open(fileOf(root, req.url), 'r+');
      try {
        await handle.write(body, 0, body.length, Number(m[1]));
      } finally {
        await handle.close();
      }
      counts.pieces++;
      res.writeHead(204);
      res.end();
      return true;
    },
  };
}
