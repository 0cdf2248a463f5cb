import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's python3-pyftpdlib: the independent server the target suite also runs against. */
export const PYTHON = '/usr/bin/python3';

export interface ExternalServer {
  readonly url: string;
  readonly root: string;
  readonly user: string;
  readonly password: string;
  stop(): Promise<void>;
}

/** Whether pyftpdlib can run here; the reason when not (tests skip with it). */
export async function pyftpdlibMissing(): Promise<string | undefined> {
  if (!existsSync(PYTHON)) return `${PYTHON} is absent (apt-get install python3-pyftpdlib)`;
  const ok = await new Promise<boolean>((resolve) => {
    const p = spawn(PYTHON, ['-c', 'import pyftpdlib'], { stdio: 'ignore' });
    p.once('exit', (code) => resolve(code === 0));
    p.once('error', () => resolve(false));
  });
  return ok ? undefined : 'python3-pyftpdlib is not installed (apt-get install python3-pyftpdlib)';
}

export async function startPyftpdlib(): Promise<ExternalServer> {
  const root = await mkdtemp(join(tmpdir(), 'fs-pyftpd-'));
  const user = 'uploader';
  const password = 'py-Secret-51d2';
  const child = spawn(PYTHON, ['-m', 'pyftpdlib', '-i', '127.0.0.1', '-p', '0', '-w', '-d', root, '-u', user, '-P', password], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`pyftpdlib did not start: ${seen}`)), 20_000);
    child.stderr.on('data', (d: Buffer) => {
      seen = (seen + d.toString()).slice(-4000);
      const m = /starting FTP server on 127\.0\.0\.1:(\d+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pyftpdlib exited (${code}): ${seen}`));
    });
  });
  return {
    url: `ftp://127.0.0.1:${port}`,
    root,
    user,
    password,
    stop: async () => {
      child.kill('SIGKILL');
      await rm(root, { recursive: true, force: true });
    },
  };
}
