import { readFile, rm, writeFile } from 'node:fs/promises';

/** Where the cut lands around the cleaner's delete of a file on the flash drive. */
export type RemovalSide = 'before' | 'after';

/** A cut the agent took: which side of which unlink. */
export interface RemovalCut {
  readonly side: RemovalSide;
  readonly path: string;
}

/**
 * Arms a cut: the next unlink under the watched directories kills the agent (cut-at-unlink.mjs, preloaded
 * into it). `trigger` is the world's trigger file.
 */
export async function armRemovalCut(trigger: string, side: RemovalSide): Promise<void> {
  await rm(firedFile(trigger), { force: true });
  await writeFile(trigger, side);
}

/**
 * Disarms the cut; true when the agent took it first (then it is dying or dead: read the cut with
 * `takenRemovalCut` once it has exited). Removing the trigger and the agent's rename of it cannot both
 * succeed, so the answer is exact.
 */
export async function disarmRemovalCut(trigger: string): Promise<boolean> {
  return rm(trigger).then(
    () => false,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return true;
      throw err;
    },
  );
}

/** The cut the agent took, as it noted it before dying. */
export async function takenRemovalCut(trigger: string): Promise<RemovalCut> {
  const file = firedFile(trigger);
  const text = await readFile(file, 'utf8');
  const [side, path] = text.split('\n');
  if ((side !== 'before' && side !== 'after') || !path) throw new Error(`${file}: no cut noted in it (${JSON.stringify(text)})`);
  return { side, path };
}

function firedFile(trigger: string): string {
  return `${trigger}.fired`;
}
