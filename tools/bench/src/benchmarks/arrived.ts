import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Files and bytes that arrived below a directory on the server's disk (temp names excluded). */
export async function arrived(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (!e.isFile() || e.name.endsWith('.part')) continue;
    files++;
    bytes += (await stat(join(e.parentPath, e.name))).size;
  }
  return { files, bytes };
}
