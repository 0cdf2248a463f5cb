import { join, normalize } from 'node:path';

/** PX4 main maps a leading `@MAV_LOG` to the log root (MAVFTP.md, OpenFileRO). */
export const LOG_ROOT = '/fs/microsd/log';

/**
 * Maps a vehicle path (NuttX-absolute, e.g. `/fs/microsd/log/x.ulg`, or `@MAV_LOG/x.ulg`) to a
 * file under the simulator's root. Undefined for a path with a `..` component (PX4 main answers
 * FileProtected for those).
 */
export function resolveVehiclePath(root: string, vehiclePath: string): string | undefined {
  const mapped = vehiclePath.startsWith('@MAV_LOG') ? LOG_ROOT + vehiclePath.slice('@MAV_LOG'.length) : vehiclePath;
  if (mapped.split('/').includes('..')) return undefined;
  return join(root, normalize(`/${mapped}`));
}
