import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { ExternalServer } from './pyftpdlib-process';

export const VSFTPD = '/usr/sbin/vsftpd';

/** Why vsftpd cannot run here, if it cannot (tests skip with this message). */
export function vsftpdMissing(): string | undefined {
  if (!existsSync(VSFTPD)) return `${VSFTPD} is absent (apt-get install vsftpd)`;
  if (userInfo().uid !== 0) return 'vsftpd needs root (it chroots anonymous sessions)';
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Debian's vsftpd on 127.0.0.1 with anonymous write access below `upload/` (vsftpd refuses a
 * writable chroot root, so the served root stays root-owned and `upload/` belongs to `ftp`).
 */
/** Hands files placed by a test (as root) to vsftpd's `ftp` user, as if they had been uploaded. */
export async function giveToFtpUser(path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const p = spawn('chown', ['-R', 'ftp', path], { stdio: 'ignore' });
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chown -R ftp ${path} failed`))));
  });
}

export async function startVsftpd(): Promise<ExternalServer> {
  const base = await mkdtemp(join(tmpdir(), 'fs-vsftpd-'));
  const root = join(base, 'root');
  const upload = join(root, 'upload');
  await mkdir(upload, { recursive: true });
  const ftpUser = await new Promise<{ uid: number; gid: number }>((resolve, reject) => {
    const p = spawn('id', ['-u', 'ftp']);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.once('exit', (code) => (code === 0 ? resolve({ uid: Number(out.trim()), gid: 0 }) : reject(new Error('no "ftp" user (the vsftpd package creates it)'))));
  });
  await chown(upload, ftpUser.uid, ftpUser.gid);
  const port = await freePort();
  const conf = join(base, 'vsftpd.conf');
  await writeFile(
    conf,
    [
      'listen=YES',
      'listen_ipv6=NO',
      'listen_address=127.0.0.1',
      `listen_port=${port}`,
      'background=NO',
      'anonymous_enable=YES',
      'local_enable=NO',
      'write_enable=YES',
      'anon_upload_enable=YES',
      'anon_mkdir_write_enable=YES',
      'anon_other_write_enable=YES',
      `anon_root=${root}`,
      'anon_umask=022',
      'no_anon_password=YES',
      'pasv_enable=YES',
      'pasv_address=127.0.0.1',
      'secure_chroot_dir=/var/run/vsftpd/empty',
      'seccomp_sandbox=NO',
      'xferlog_enable=NO',
      'vsftpd_log_file=/dev/null',
      'max_clients=64',
      'max_per_ip=64',
      '',
    ].join('\n'),
  );
  await mkdir('/var/run/vsftpd/empty', { recursive: true });
  const child = spawn(VSFTPD, [conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (exited || i > 100) throw new Error(`vsftpd did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `ftp://127.0.0.1:${port}/upload`,
    root: upload,
    user: 'anonymous',
    password: 'filesync@',
    stop: async () => {
      child.kill('SIGKILL');
      await rm(base, { recursive: true, force: true });
    },
  };
}
