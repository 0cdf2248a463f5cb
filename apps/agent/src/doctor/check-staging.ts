import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '@filesync/core/config';
import { type Finding, fail, ok, warn } from './finding';

const MIB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MIB).toFixed(0)} MiB`;

/** The nearest directory that exists at or above `dir` (staging is made at the first run). */
async function existingFs(dir: string): Promise<{ path: string; free: number; total: number }> {
  let at = dir;
  for (let depth = 0; depth < 64; depth++) {
    try {
      const fs = await statfs(at);
      return { path: at, free: fs.bavail * fs.bsize, total: fs.blocks * fs.bsize };
    } catch (err) {
      const parent = dirname(at);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) throw err;
      at = parent;
    }
  }
  throw new Error(`no existing directory above ${dir}`);
}

/** Free space where files are staged, against the reserve the agent keeps for its catalog. */
export async function checkStaging(config: Config): Promise<Finding> {
  const dir = config.staging.dir ?? `${config.dataDir}/staging`;
  const reserve = config.staging.reserveBytes;
  let fs;
  try {
    fs = await existingFs(dir);
  } catch (err) {
    return fail('staging', `cannot look at ${dir} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'check that the agent may create and write staging.dir');
  }
  const where = fs.path === dir ? dir : `${dir} (not made yet; its disk is that of ${fs.path})`;
  const line = `${mib(fs.free)} free of ${mib(fs.total)} at ${where}; ${mib(reserve)} kept free (staging.reserveBytes)`;
  if (fs.free <= reserve) return fail('staging', line, 'free space on that disk or move staging.dir: no download can start');
  if (fs.free < reserve + 100 * MIB) return warn('staging', line, 'only small files fit; free space or move staging.dir');
  return ok('staging', line);
}
