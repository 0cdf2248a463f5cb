import { readFile, readdir, stat, truncate } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * The durable size of each watched file from the fsync journal: the size when its last fsync returned,
 * carried across renames, never more than a later truncation left.
 */
export async function durableSizes(journal: string): Promise<Map<string, number>> {
  const durable = new Map<string, number>();
  const text = await readFile(journal, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [op, a, b] = line.split('\t');
    if (op === undefined || a === undefined) continue;
    if (op === 'sync' && b !== undefined) durable.set(a, Number(b));
    else if (op === 'truncate' && b !== undefined) durable.set(a, Math.min(durable.get(a) ?? 0, Number(b)));
    else if (op === 'rename' && b !== undefined) {
      durable.set(b, durable.get(a) ?? 0);
      durable.delete(a);
    } else if (op === 'unlink') durable.delete(a);
  }
  return durable;
}

export interface TearResult {
  readonly files: number;
  readonly bytesDropped: number;
}

/**
 * After a SIGKILL: cuts every file in `dir` back to its durable size (a file never fsynced to empty),
 * as a power cut would have. Call only while the agent is down.
 */
export async function tearUnsynced(dir: string, journal: string): Promise<TearResult> {
  const durable = await durableSizes(journal);
  let files = 0;
  let bytesDropped = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = resolve(join(dir, name));
    const size = await stat(path).then((s) => (s.isFile() ? s.size : undefined), () => undefined);
    if (size === undefined) continue;
    const keep = durable.get(path) ?? 0;
    if (size > keep) {
      await truncate(path, keep);
      files++;
      bytesDropped += size - keep;
    }
  }
  return { files, bytesDropped };
}
