import { dirname } from 'node:path';
import { type FsCalls, nodeFsCalls } from '@filesync/core';

/**
 * fsyncs a directory so that a rename or a new file in it survives power loss. An in-memory `fs` (unit
 * tests) makes this a no-op: that a rename survives a power cut is only proven on real disks (the
 * chaos power-loss campaign).
 */
export async function fsyncDir(dir: string, fs: Pick<FsCalls, 'open'> = nodeFsCalls): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function fsyncParent(file: string, fs: Pick<FsCalls, 'open'> = nodeFsCalls): Promise<void> {
  return fsyncDir(dirname(file), fs);
}
