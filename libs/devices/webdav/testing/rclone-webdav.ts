import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why Debian's rclone cannot run here, if it cannot (tests skip with this message). */
export function rcloneMissing(): string | undefined {
  const probe = spawnSync('rclone', ['version'], { stdio: 'ignore' });
  return probe.error || probe.status !== 0 ? 'rclone is absent (apt-get install rclone)' : undefined;
}

export interface RcloneWebdav {
  /** `http://127.0.0.1:PORT/` without credentials. */
  readonly url: string;
  readonly port: number;
  /** The directory rclone serves: what is stored, seen from the server's side. */
  readonly root: string;
  readonly user: string;
  readonly password: string;
  /** Kills the server (SIGKILL: a crash, not a goodbye) and waits for its exit; the root stays. */
  kill(): Promise<void>;
  /** Starts it again on the same port and root. */
  restart(): Promise<void>;
  /** Kills it and removes the root. */
  stop(): Promise<void>;
}

const READY = /WebDav Server started on (http:\/\/127\.0\.0\.1:(\d+)\/)/;

/**
 * `rclone serve webdav` on 127.0.0.1 (port 0: rclone picks a free one and names it in its
 * start-up line), with Basic auth, serving a fresh temporary directory. A reference server written by
 * others (Go's x/net/webdav under rclone's VFS): no checksums in PROPFIND, no partial PUT.
 * `--dir-cache-time 0s`: tests place files in the root behind the server's back, which rclone's VFS
 * would otherwise not see for minutes.
 */
export async function startRcloneWebdav(options: { user?: string; password?: string } = {}): Promise<RcloneWebdav> {
  const root = await mkdtemp(join(tmpdir(), 'fs-rclone-webdav-'));
  const user = options.user ?? 'drone';
  const password = options.password ?? 'rclone-test-secret';
  let child: ChildProcess | undefined;
  let port = 0;

  async function launch(): Promise<void> {
    const p = spawn('rclone', ['serve', 'webdav', root, '--addr', `127.0.0.1:${port}`, '--user', user, '--pass', password, '--config', '/dev/null', '--dir-cache-time', '0s'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = p;
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error(`rclone serve webdav did not start in 15 s: ${stderr}`));
      }, 15_000);
      p.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
        const m = READY.exec(stderr);
        if (m) {
          clearTimeout(timer);
          port = Number(m[2]);
          resolve();
        }
      });
      p.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`rclone serve webdav exited (${code}) before it was ready: ${stderr}`));
      });
    });
  }

  async function kill(): Promise<void> {
    const p = child;
    child = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGKILL');
    await exited;
  }

  await launch();
  return {
    get url() {
      return `http://127.0.0.1:${port}/`;
    },
    get port() {
      return port;
    },
    root,
    user,
    password,
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      await rm(root, { recursive: true, force: true });
    },
  };
}
