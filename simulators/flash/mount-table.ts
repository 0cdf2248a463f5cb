import { rename, writeFile } from 'node:fs/promises';

/** mountinfo escapes space, tab, newline and backslash in paths as octal; see proc(5). */
const escapeOctal = (path: string): string => path.replace(/[ \t\n\\]/g, (ch) => `\\${ch.charCodeAt(0).toString(8).padStart(3, '0')}`);

/** Lines any Linux machine has, so a reader must pick the card out of a real-looking table. */
const BASE_LINES = [
  '22 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
  '23 27 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw',
  '24 27 0:5 / /dev rw,nosuid,relatime shared:8 - devtmpfs udev rw,size=8066848k,nr_inodes=2016712,mode=755',
  '27 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro',
  '31 27 259:1 / /boot/efi rw,relatime shared:20 - vfat /dev/nvme0n1p1 rw,fmask=0077,dmask=0077,codepage=437,iocharset=iso8859-1',
];

export interface CardMount {
  readonly mountId: number;
  readonly mountPoint: string;
  readonly device: string;
}

export function mountInfoText(mount: CardMount | undefined): string {
  const lines = [...BASE_LINES];
  if (mount) {
    lines.push(
      `${mount.mountId} 27 8:17 / ${escapeOctal(mount.mountPoint)} rw,nosuid,nodev,relatime shared:${mount.mountId} - vfat ` +
        `${escapeOctal(mount.device)} rw,fmask=0022,dmask=0022,codepage=437,iocharset=utf8,shortname=mixed,errors=remount-ro`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Replaces the table in one rename, so a reader never sees half of it. */
export async function writeMountTable(path: string, mount: CardMount | undefined): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, mountInfoText(mount));
  await rename(tmp, path);
}
