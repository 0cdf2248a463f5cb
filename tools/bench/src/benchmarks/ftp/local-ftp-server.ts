import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** An FTP server on 127.0.0.1 for the upload benchmark, with its upload area on the local disk. */
export interface LocalFtpServer {
  readonly name: 'vsftpd' | 'pyftpdlib';
  readonly host: string;
  readonly port: number;
  /** Directory (below the login directory) every client uploads into. */
  readonly dir: string;
  readonly user: string;
  readonly password: string;
  /** The upload area on disk, to check what arrived. */
  readonly diskDir: string;
  stop(): Promise<void>;
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

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) return;
    if (exited) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`FTP server on port ${port} did not start`);
}

/**
 * vsftpd (C, the fastest of the Debian servers, so the clients are what is measured) when running
 * as root, else pyftpdlib. Both are what .ci/run installs.
 */
export async function startLocalFtpServer(prefer: 'vsftpd' | 'pyftpdlib' = 'vsftpd'): Promise<LocalFtpServer> {
  const base = await mkdtemp(join(tmpdir(), 'fs-bench-ftp-'));
  const port = await freePort();
  if (prefer === 'vsftpd' && existsSync('/usr/sbin/vsftpd') && userInfo().uid === 0) {
    const root = join(base, 'root');
    const upload = join(root, 'upload');
    await mkdir(upload, { recursive: true });
    await chown(upload, Number(execFileSync('id', ['-u', 'ftp']).toString().trim()), 0);
    await mkdir('/var/run/vsftpd/empty', { recursive: true });
    const conf = join(base, 'vsftpd.conf');
    await writeFile(
      conf,
      `listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port=${port}\nbackground=NO\nanonymous_enable=YES\nlocal_enable=NO\n` +
        `write_enable=YES\nanon_upload_enable=YES\nanon_mkdir_write_enable=YES\nanon_other_write_enable=YES\nanon_root=${root}\n` +
        `anon_umask=022\nno_anon_password=YES\npasv_enable=YES\npasv_address=127.0.0.1\nsecure_chroot_dir=/var/run/vsftpd/empty\n` +
        `seccomp_sandbox=NO\nxferlog_enable=NO\nvsftpd_log_file=/dev/null\nmax_clients=64\nmax_per_ip=64\n`,
    );
    const child = spawn('/usr/sbin/vsftpd', [conf], { stdio: 'ignore' });
    await waitForPort(port, child);
    return {
      name: 'vsftpd',
      host: '127.0.0.1',
      port,
      dir: 'upload',
      user: 'anonymous',
      password: 'filesync@',
      diskDir: upload,
      stop: async () => {
        child.kill('SIGKILL');
        await rm(base, { recursive: true, force: true });
      },
    };
  }
  const root = join(base, 'root');
  await mkdir(join(root, 'upload'), { recursive: true });
  const child = spawn('/usr/bin/python3', ['-m', 'pyftpdlib', '-i', '127.0.0.1', '-p', String(port), '-w', '-d', root, '-u', 'bench', '-P', 'bench-pw'], {
    stdio: 'ignore',
  });
  await waitForPort(port, child);
  return {
    name: 'pyftpdlib',
    host: '127.0.0.1',
    port,
    dir: 'upload',
    user: 'bench',
    password: 'bench-pw',
    diskDir: join(root, 'upload'),
    stop: async () => {
      child.kill('SIGKILL');
      await rm(base, { recursive: true, force: true });
    },
  };
}
