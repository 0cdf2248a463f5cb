// Preloaded into the agent (and, through NODE_OPTIONS, into its worker threads) by the chaos runner's
// removal-cuts scenario only; nothing in the product loads it. While the runner has a cut armed (a trigger
// file exists), the next unlink of a file under the watched directories (the flash drive) is a power cut:
// the process is SIGKILLed just before the unlink or just after it, before the agent can record it.
// The cleaner's delete and its catalog record are microseconds apart: a cut aimed from outside, by polling
// the catalog, almost never lands between them.
import fs from 'node:fs';
import { delimiter, resolve } from 'node:path';
import { syncBuiltinESMExports } from 'node:module';

const trigger = process.env.FILESYNC_CHAOS_UNLINK_TRIGGER;
const watched = (process.env.FILESYNC_CHAOS_UNLINK_DIRS ?? '').split(delimiter).filter((d) => d !== '').map((d) => resolve(d));

/** The trigger's side (`before` or `after`) if this call took the armed cut; only one caller can. */
function takeArmedCut(path) {
  const fired = `${trigger}.fired`;
  try {
    // A rename succeeds once: two workers unlinking at the same instant cannot both take the cut, and a
    // runner that disarms (removes the trigger) first makes this fail.
    fs.renameSync(trigger, fired);
  } catch {
    return undefined;
  }
  const side = fs.readFileSync(fired, 'utf8').trim();
  fs.writeFileSync(fired, `${side}\n${path}\n`);
  return side;
}

function dieNow() {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL ends every thread, but not necessarily before this one runs its next line: hold it here.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
}

if (trigger && watched.length > 0) {
  const inWatched = (p) => typeof p === 'string' && watched.some((d) => resolve(p).startsWith(`${d}/`));
  const p = fs.promises;
  const unlink = p.unlink;
  p.unlink = async (path) => {
    const side = inWatched(path) ? takeArmedCut(resolve(path)) : undefined;
    if (side === 'before') dieNow();
    try {
      return await unlink(path);
    } finally {
      // Also when the file was gone already (a restart deleting again what a cut left unrecorded).
      if (side === 'after') dieNow();
    }
  };
  // `import { unlink } from 'node:fs/promises'` binds to the ESM namespace: bring it in line with the patched object.
  syncBuiltinESMExports();
}
