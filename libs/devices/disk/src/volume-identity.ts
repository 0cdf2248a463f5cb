import { createHash } from 'node:crypto';
import { readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import type { MountEntry } from './mount-table';

/** Which drive a source collects from (the `match` of the disk source config). */
export interface DriveMatch {
  readonly uuid?: string | undefined;
  readonly label?: string | undefined;
  readonly mountPoint?: string | undefined;
}

/** A drive found mounted, with what we know of its identity. */
export interface MountedDrive {
  /** The device node the mount table names (`/dev/sdb1`), resolved through symlinks. */
  readonly device: string;
  readonly mountPoint: string;
  readonly mountId: string;
  readonly fsType: string;
  readonly uuid: string | undefined;
  readonly label: string | undefined;
}

/** Device node → names, from udev's `/dev/disk/by-uuid` and `/dev/disk/by-label` symlinks. */
export interface VolumeLinks {
  readonly uuidOf: ReadonlyMap<string, string>;
  readonly labelOf: ReadonlyMap<string, string>;
}

/** udev escapes unsafe characters in link names as `\xNN` (a label "FLIR DUO" is `FLIR\x20DUO`). */
function unescapeUdev(name: string): string {
  return name.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

async function readLinks(dir: string): Promise<Map<string, string>> {
  const byDevice = new Map<string, string>();
  // A missing directory is normal: by-label exists only once some volume has a label.
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    // A link whose device vanished between readdir and realpath belongs to a drive just pulled.
    const device = await realpath(join(dir, name)).catch(() => undefined);
    if (device !== undefined) byDevice.set(device, unescapeUdev(name));
  }
  return byDevice;
}

/** Reads `<diskDir>/by-uuid` and `<diskDir>/by-label` (normally `/dev/disk`). */
export async function readVolumeLinks(diskDir: string): Promise<VolumeLinks> {
  const [uuidOf, labelOf] = await Promise.all([readLinks(join(diskDir, 'by-uuid')), readLinks(join(diskDir, 'by-label'))]);
  return { uuidOf, labelOf };
}

const trimSlash = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/**
 * Finds the mounted drive that `match` names. Every given key must agree, so `{uuid, label}` means
 * "this card, and only while it carries this label". Bind mounts (root other than `/`) are ignored:
 * they show the same volume twice.
 */
export async function findDrive(match: DriveMatch, entries: readonly MountEntry[], links: VolumeLinks): Promise<MountedDrive | undefined> {
  for (const entry of entries) {
    if (entry.root !== '/') continue;
    if (match.mountPoint !== undefined && trimSlash(entry.mountPoint) !== trimSlash(match.mountPoint)) continue;
    const device = entry.source.startsWith('/') ? await realpath(entry.source).catch(() => entry.source) : entry.source;
    const uuid = links.uuidOf.get(device);
    const label = links.labelOf.get(device) ?? entry.label;
    if (match.uuid !== undefined && uuid?.toLowerCase() !== match.uuid.toLowerCase()) continue;
    if (match.label !== undefined && label !== match.label) continue;
    return { device, mountPoint: entry.mountPoint, mountId: entry.mountId, fsType: entry.fsType, uuid, label };
  }
  return undefined;
}

/**
 * The part of a source id that names the volume. The UUID when known (a card keeps it until it is
 * formatted, so a re-inserted card continues its files); otherwise a hash of device and mount
 * point, which cannot tell two cards apart — match by UUID or label on Linux to get that.
 */
export function volumeKey(drive: MountedDrive): string {
  if (drive.uuid !== undefined) return drive.uuid;
  return `dev-${createHash('sha256').update(`${drive.device}\u0000${drive.mountPoint}`).digest('hex').slice(0, 12)}`;
}

/** `<config id>:<volume uuid>`, e.g. `flir:1A2B-3C4D`. */
export function volumeSourceId(configId: string, drive: MountedDrive): string {
  return `${configId}:${volumeKey(drive)}`;
}
