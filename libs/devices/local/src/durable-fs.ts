import { open } from 'node:fs/promises';
import { dirname } from 'node:path';

/** fsyncs a directory so that a rename or a new file in it survives power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function fsyncParent(file: string): Promise<void> {
  return fsyncDir(dirname(file));
}
