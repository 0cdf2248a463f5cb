import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { LocalFtpServer } from './local-ftp-server';

const run = promisify(execFile);

export const RCLONE = '/usr/bin/rclone';
export const LFTP = '/usr/bin/lftp';

export function have(binary: string): boolean {
  return existsSync(binary);
}

/** `rclone copy` with its defaults (4 transfers), to an on-the-fly remote (no config file). */
export async function rcloneCopy(server: LocalFtpServer, localDir: string, remoteDir: string): Promise<void> {
  const { stdout } = await run(RCLONE, ['obscure', server.password]);
  const remote = `:ftp,host=${server.host},port=${server.port},user=${server.user},pass=${stdout.trim()}:${server.dir}/${remoteDir}`;
  await run(RCLONE, ['copy', '--config', '', localDir, remote], { maxBuffer: 16 << 20, timeout: 3_600_000 });
}

/** `lftp mirror -R` with its defaults (one transfer at a time); --no-perms since anonymous CHMOD is refused. */
export async function lftpMirror(server: LocalFtpServer, localDir: string, remoteDir: string): Promise<void> {
  const script = [
    'set cmd:fail-exit yes',
    'set net:max-retries 2',
    `open -u ${server.user},${server.password} ftp://${server.host}:${server.port}`,
    `mirror -R --no-perms ${localDir} ${server.dir}/${remoteDir}`,
  ].join('; ');
  await run(LFTP, ['-c', script], { maxBuffer: 16 << 20, timeout: 3_600_000 });
}
