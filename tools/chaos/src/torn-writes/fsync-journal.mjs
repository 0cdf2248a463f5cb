// Preloaded into the agent (and, through NODE_OPTIONS, into its worker threads) by the chaos runner's
// torn-writes scenario only; nothing in the product loads it. It changes no behaviour: it notes, in an
// append-only journal, the size of each staging file each time an fsync of it returns (and renames,
// unlinks, truncations), so that after a SIGKILL the runner can drop every byte written since the last
// fsync — what a real power cut loses from the page cache and a SIGKILL does not.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { resolve } from 'node:path';
import { threadId as workerThreadId } from 'node:worker_threads';

const journal = process.env.FILESYNC_CHAOS_FSYNC_JOURNAL;
const watched = process.env.FILESYNC_CHAOS_FSYNC_DIR;
// With a probability > 0, an fsync of a watched file may instead be a power cut: the process is killed
// just before the fsync, after whatever the agent did before asking for it. This is how a cut lands in
// the few milliseconds where a record could precede its fsync; polling from outside cannot aim that well.
const cutProbability = Number(process.env.FILESYNC_CHAOS_CUT_AT_FSYNC ?? 0);
let seed = (Number(process.env.FILESYNC_CHAOS_CUT_SEED ?? 1) ^ (threadIdOf() * 0x9e3779b1)) >>> 0;
function random() {
  // mulberry32: seeded, so a round's cuts replay as closely as the timing allows.
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function threadIdOf() {
  return workerThreadId;
}

if (journal && watched) {
  const dir = resolve(watched);
  const inDir = (p) => typeof p === 'string' && resolve(p).startsWith(`${dir}/`);
  // Written synchronously before the awaited call returns to the agent, so the journal is never behind
  // what the agent could have recorded in the catalog after that fsync.
  const note = (...fields) => fs.appendFileSync(journal, `${fields.join('\t')}\n`);
  const paths = new WeakMap();
  const p = fs.promises;

  const open = p.open;
  p.open = async (path, ...rest) => {
    const handle = await open(path, ...rest);
    if (inDir(path)) paths.set(handle, resolve(path));
    return handle;
  };
  const probe = await open(process.execPath, 'r');
  const proto = Object.getPrototypeOf(probe);
  await probe.close();
  for (const name of ['sync', 'datasync']) {
    const original = proto[name];
    proto[name] = async function (...args) {
      if (cutProbability > 0 && paths.has(this) && random() < cutProbability) {
        note('cut', paths.get(this));
        process.kill(process.pid, 'SIGKILL');
      }
      const result = await original.apply(this, args);
      const path = paths.get(this);
      if (path) note('sync', path, fs.fstatSync(this.fd).size);
      return result;
    };
  }
  const truncateHandle = proto.truncate;
  proto.truncate = async function (len = 0) {
    const result = await truncateHandle.call(this, len);
    const path = paths.get(this);
    if (path) note('truncate', path, len);
    return result;
  };
  const truncate = p.truncate;
  p.truncate = async (path, len = 0) => {
    const result = await truncate(path, len);
    if (inDir(path)) note('truncate', resolve(path), len);
    return result;
  };
  const rename = p.rename;
  p.rename = async (from, to) => {
    const result = await rename(from, to);
    if (inDir(from) || inDir(to)) note('rename', resolve(from), resolve(to));
    return result;
  };
  const unlink = p.unlink;
  p.unlink = async (path) => {
    const result = await unlink(path);
    if (inDir(path)) note('unlink', resolve(path));
    return result;
  };
  // `import { open } from 'node:fs/promises'` binds to the ESM namespace: bring it in line with the patched object.
  syncBuiltinESMExports();
}
