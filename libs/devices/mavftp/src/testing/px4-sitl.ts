import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The real PX4 (software in the loop) kept beside the repository in `../shared/px4-sitl`
 * (its README and the header of its `px4-sitl` script say how it starts, logs and arms).
 */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../..');
export const PX4_SITL_SCRIPT = process.env['FILESYNC_PX4_SITL'] ?? join(REPO, '../shared/px4-sitl/px4-sitl');

/** The ready line `px4-sitl start` prints. */
export interface Px4SitlReady {
  readonly ready: true;
  readonly sim: 'px4-sitl';
  readonly instance: number;
  readonly sysid: number;
  /** Client link for the onboard (companion) port: `udpin:127.0.0.1:14540+N`. */
  readonly onboard: string;
  /** Client link for the ground-station port: `udpout:127.0.0.1:18570+N`. */
  readonly gcs: string;
  readonly root: string;
  readonly pid: number;
}

export interface Px4Sitl extends Px4SitlReady {
  /** PX4's log directory on this machine (FTP path `/log`). */
  readonly logDir: string;
  /** Starts PX4 again on the same root and instance (after `kill` or `shutdown`: a reboot). */
  restart(): Promise<void>;
  /** Clean shutdown: PX4 closes its open log. */
  shutdown(): Promise<void>;
  /** SIGKILL, like pulling the battery: the open log stays torn. */
  kill(): Promise<void>;
  /** Stops PX4 (SIGKILL if running), frees the instance number and removes the root unless kept. */
  stop(): Promise<void>;
}

/**
 * Why the real-PX4 tests cannot run here, or undefined when they can. With
 * FILESYNC_REQUIRE_PX4_SITL=1 (CI sets it) a missing kit throws instead, so it fails, never skips unseen.
 */
export function px4SitlMissing(): string | undefined {
  if (existsSync(PX4_SITL_SCRIPT)) return undefined;
  const why = `no PX4 SITL kit at ${PX4_SITL_SCRIPT} (put ../shared/px4-sitl beside the repository, or set FILESYNC_PX4_SITL to its px4-sitl script)`;
  if (process.env['FILESYNC_REQUIRE_PX4_SITL'] === '1') throw new Error(`FILESYNC_REQUIRE_PX4_SITL=1 but ${why}`);
  return why;
}

function runScript(args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(PX4_SITL_SCRIPT, [...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`px4-sitl ${args[0] ?? ''} failed: ${String(stderr).trim() || err.message}`));
      else resolvePromise(String(stdout));
    });
  });
}

/** Instance numbers tests hold (ports 14540+N, 18570+N), claimed by an atomic mkdir naming the holder's pid. */
const LOCKS = join(tmpdir(), 'filesync-px4-sitl-instances');
const MAX_INSTANCES = 40;

async function claimInstance(): Promise<number> {
  await mkdir(LOCKS, { recursive: true });
  for (let round = 0; round < 2; round++) {
    for (let n = 1; n < MAX_INSTANCES; n++) {
      const lock = join(LOCKS, String(n));
      try {
        await mkdir(lock);
        await writeFile(join(lock, 'pid'), String(process.pid));
        return n;
      } catch {
        // Held: take it over only if its holder is gone (a test process killed before its cleanup).
        const holder = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => 'NaN'));
        if (round === 1 && Number.isInteger(holder) && !alive(holder)) await rm(lock, { recursive: true, force: true });
      }
    }
  }
  throw new Error(`px4-sitl: all ${MAX_INSTANCES - 1} instance numbers are held (see ${LOCKS})`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a real PX4 on its own root and a free instance number (so tests can run side by side) and
 * waits for its ready line. Unless `empty`, the root holds two short real logs from the kit's seed,
 * plus the log PX4 opens at boot (open and growing until the first disarm).
 */
export async function startPx4Sitl(options: { empty?: boolean; root?: string; keepRoot?: boolean } = {}): Promise<Px4Sitl> {
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'fs-px4-sitl-')));
  const instance = await claimInstance();
  const common = ['--root', root, '--instance', String(instance)];
  const start = async (): Promise<Px4SitlReady> => {
    const out = await runScript(['start', ...common, ...(options.empty ? ['--empty'] : [])], 60_000);
    const line = out.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(line) as Px4SitlReady;
    } catch {
      throw new Error(`px4-sitl start printed "${line.slice(0, 200)}" instead of its JSON ready line`);
    }
  };
  let ready: Px4SitlReady;
  try {
    ready = await start();
  } catch (err) {
    await runScript(['kill', ...common], 10_000).catch(() => undefined);
    await rmdir(join(LOCKS, String(instance))).catch(() => rm(join(LOCKS, String(instance)), { recursive: true, force: true }));
    throw err;
  }
  let stopped = false;
  const sitl: Px4Sitl = {
    ...ready,
    logDir: join(root, 'log'),
    restart: async () => {
      const again = await start();
      Object.assign(sitl, { pid: again.pid });
    },
    shutdown: async () => {
      await runScript(['stop', ...common], 30_000);
    },
    kill: async () => {
      await runScript(['kill', ...common], 10_000);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await runScript(['kill', ...common], 10_000).catch(() => undefined);
      if (!options.keepRoot && process.env['FILESYNC_E2E_KEEP'] === undefined) await rm(root, { recursive: true, force: true });
      await rm(join(LOCKS, String(instance)), { recursive: true, force: true });
    },
  };
  return sitl;
}
