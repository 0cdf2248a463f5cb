import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { classifyError } from '@filesync/core';

/** One mounted file system, as the mount table describes it. */
export interface MountEntry {
  /** mountinfo's mount id: a fresh number for every mount, so a quick unplug + re-insert still shows. */
  readonly mountId: string;
  readonly mountPoint: string;
  /** The path inside the file system that is mounted (`/` unless it is a bind mount). */
  readonly root: string;
  readonly fsType: string;
  /** The mount source, normally a device node such as `/dev/sdb1`. */
  readonly source: string;
  /** Only for `/Volumes`-style tables, where the directory name is all we know. */
  readonly label?: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`); see proc(5). */
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * Parses Linux `/proc/self/mountinfo`:
 * `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`.
 * Lines it cannot read are skipped: one odd line must not hide the drive we look for.
 */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6 || fields.length < dash + 3) continue;
    entries.push({
      mountId: fields[0]!,
      root: unescapeOctal(fields[3]!),
      mountPoint: unescapeOctal(fields[4]!),
      fsType: fields[dash + 1]!,
      source: unescapeOctal(fields[dash + 2]!),
    });
  }
  return entries;
}

/**
 * macOS has no mountinfo; every volume shows as a directory under `/Volumes` named after its label.
 * The UUID needs `diskutil`, so volumes seen this way are matched by label or mount point only.
 */
async function listVolumesDir(dir: string): Promise<MountEntry[]> {
  const names = await readdir(dir, { withFileTypes: true });
  return names
    .filter((d) => d.isDirectory())
    .map((d) => ({
      mountId: `volume:${d.name}`,
      mountPoint: join(dir, d.name),
      root: '/',
      fsType: 'unknown',
      source: `volume:${d.name}`,
      label: d.name,
    }));
}

/** Reads a mount table: a mountinfo file, or a `/Volumes`-style directory of mount points. */
export async function readMountTable(path: string): Promise<MountEntry[]> {
  try {
    if ((await stat(path)).isDirectory()) return await listVolumesDir(path);
    return parseMountInfo(await readFile(path, 'utf8'));
  } catch (err) {
    throw classifyError(err);
  }
}
