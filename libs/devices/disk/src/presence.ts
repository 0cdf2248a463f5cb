import { realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readMountTable } from './mount-table';
import type { MountedDrive } from './volume-identity';

export interface PresenceOptions {
  readonly mountTable: string;
  readonly diskDir: string;
}

/**
 * Builds the "is this drive still here?" check asked after a failure. A pulled USB drive shows in
 * different ways depending on how far the system got: udev drops the device node and the by-uuid
 * link at once, the automounter removes the mount (and often the mount point) a little later, and
 * until then the kernel answers reads with EIO. Any one of these signs means gone. The mount point's
 * (dev, inode) pins the exact mount: a different card mounted at the same place is not this drive.
 */
export async function presenceCheck(drive: MountedDrive, options: PresenceOptions): Promise<() => Promise<boolean>> {
  const pinned = await stat(drive.mountPoint).catch(() => undefined);
  return async () => {
    try {
      const now = await stat(drive.mountPoint);
      if (pinned === undefined || now.dev !== pinned.dev || now.ino !== pinned.ino) return false;
      const entries = await readMountTable(options.mountTable);
      if (!entries.some((e) => e.mountId === drive.mountId && e.mountPoint === drive.mountPoint)) return false;
      if (drive.device.startsWith('/')) await stat(drive.device);
      if (drive.uuid !== undefined && (await realpath(join(options.diskDir, 'by-uuid', drive.uuid))) !== drive.device) return false;
      return true;
    } catch {
      return false;
    }
  };
}
