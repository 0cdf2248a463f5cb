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

/**
 * Runs a tool and returns the CPU seconds (user + system) it and its children used: bash's `times`
 * prints them after the tool exits, so no extra package is needed. CPU time, unlike wall time,
 * hardly moves with the load other people put on a shared machine.
 */
export async function runCounted(binary: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<number> {
  const { stdout } = await run('bash', ['-c', '"$0" "$@"; rc=$?; times; exit $rc', binary, ...args], {
    ...(env === undefined ? {} : { env }),
    maxBuffer: 16 << 20,
    timeout: 3_600_000,
  });
  const children = stdout.trim().split('\n').at(-1) ?? '';
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return seconds.reduce((a, b) => a + b, 0);
}

/** `rclone copy` with its defaults (4 transfers), to an on-the-fly remote (no config file); returns CPU seconds. */
export async function rcloneCopy(server: LocalFtpServer, localDir: string, remoteDir: string): Promise<number> {
  const { stdout } = await run(RCLONE, ['obscure', server.password]);
  const remote = `:ftp,host=${server.host},port=${server.port},user=${server.user},pass=${stdout.trim()}:${server.dir}/${remoteDir}`;
  return runCounted(RCLONE, ['copy', '--config', '', localDir, remote]);
}

/** `lftp mirror -R` with its defaults (one transfer at a time); --no-perms since anonymous CHMOD is refused. Returns CPU seconds. */
export async function lftpMirror(server: LocalFtpServer, localDir: string, remoteDir: string): Promise<number> {
  const script = [
    'set cmd:fail-exit yes',
    'set net:max-retries 2',
    `open -u ${server.user},${server.password} ftp://${server.host}:${server.port}`,
    `mirror -R --no-perms ${localDir} ${server.dir}/${remoteDir}`,
  ].join('; ');
  return runCounted(LFTP, ['-c', script]);
}
