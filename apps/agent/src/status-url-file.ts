import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

/**
 * Where a running agent says its status server really listens (the configured port may be 0, any
 * free one), so that `filesync status` can ask it whether it runs. Written once it listens, removed
 * on a clean stop; after a power cut it stays, and the unanswered ask says the agent is not running.
 */
const FILE = 'status-url';

export async function writeStatusUrl(dataDir: string, url: string): Promise<void> {
  const file = join(dataDir, FILE);
  await writeFile(`${file}.tmp`, `${url}\n`);
  await rename(`${file}.tmp`, file);
}

export async function removeStatusUrl(dataDir: string): Promise<void> {
  await rm(join(dataDir, FILE), { force: true });
}

export function readStatusUrl(dataDir: string): string | undefined {
  try {
    return readFileSync(join(dataDir, FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
