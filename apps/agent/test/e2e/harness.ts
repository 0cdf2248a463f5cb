import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterEach } from 'vitest';
import { dirname, join, relative } from 'node:path';
import { targetPathOf } from '@filesync/pipeline';
import { type Catalog, openCatalogForReading } from '@filesync/store';
import { type RunningSimulator, type SimulatorName, startSimulator } from '@filesync/core';
import type { ConfigInput } from '@filesync/core/config';
import { type AgentProcess, startAgentProcess } from '../agent-process';

/** What the e2e tests read of `GET /api/status`. */
export interface StatusBody {
  readonly counts: {
    readonly files: Record<string, number>;
    readonly byTarget: Record<string, Record<string, number>>;
  };
  readonly health: {
    readonly sources: Record<string, { state: string; cause?: { code: string; message: string } }>;
    readonly targets: Record<string, { state: string; cause?: { code: string; message: string } }>;
  };
}

export const MIB = 1024 * 1024;
export const FTP_LOGIN = { user: 'filesync', password: 'filesync' } as const;
export const ULOG_MAGIC = Buffer.from([0x55, 0x4c, 0x6f, 0x67, 0x01, 0x12, 0x35, 0x01]);

/** E2e worlds for one describe block's tests: each world `create()` made is cleaned up after its test. */
export function worldsForTests(): { create(): Promise<E2eWorld> } {
  const made: E2eWorld[] = [];
  afterEach(async () => {
    for (const world of made.splice(0)) await world.cleanup();
  });
  return {
    async create() {
      const world = await E2eWorld.create();
      made.push(world);
      return world;
    },
  };
}

/** A temp directory that holds the simulators' roots, the agent's data dir and its config. */
export class E2eWorld {
  private readonly sims: RunningSimulator[] = [];
  agent: AgentProcess | undefined;

  private constructor(readonly dir: string) {}

  static async create(): Promise<E2eWorld> {
    return new E2eWorld(await mkdtemp(join(tmpdir(), 'fs-e2e-')));
  }

  simRoot(name: string): string {
    return join(this.dir, 'sim', name);
  }

  /** The agent's data dir (catalog, staging, logs). */
  get dataDir(): string {
    return join(this.dir, 'agent');
  }

  /** The config fields every e2e run shares: data dir, a log file, status on any free port. */
  baseConfig(): Pick<ConfigInput, 'dataDir' | 'log' | 'status'> {
    return { dataDir: this.dataDir, log: { level: 'info', file: join(this.dataDir, 'logs', 'filesync.log') }, status: { host: '127.0.0.1', port: 0 } };
  }

  async sim(kind: SimulatorName, root: string, args: readonly string[]): Promise<RunningSimulator> {
    const s = await startSimulator(kind, ['--root', this.simRoot(root), ...args]);
    this.sims.push(s);
    return s;
  }

  /** Writes the config and starts `filesync serve --config` as a real process; resolves with the status URL. */
  async startAgent(config: ConfigInput, readyTimeoutMs?: number): Promise<string> {
    const configFile = join(this.dir, 'config.json');
    await writeFile(configFile, JSON.stringify(config, null, 2));
    this.agent = startAgentProcess(configFile, readyTimeoutMs);
    return this.agent.ready;
  }

  /** SIGTERM, then the exit code (SIGKILL after `boundMs`: the test then fails on the code). */
  async stopAgent(boundMs = 30_000): Promise<number | null | 'killed'> {
    const agent = this.agent;
    if (!agent || agent.child.exitCode !== null) return agent?.child.exitCode ?? null;
    agent.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<'killed'>((resolve) => {
      timer = setTimeout(() => {
        agent.child.kill('SIGKILL');
        resolve('killed');
      }, boundMs);
    });
    const code = await Promise.race([agent.exited, killed]);
    clearTimeout(timer);
    return code;
  }

  async cleanup(): Promise<void> {
    if (this.agent && this.agent.child.exitCode === null) this.agent.child.kill('SIGKILL');
    await Promise.all(this.sims.map((s) => s.stop()));
    if (process.env['FILESYNC_E2E_KEEP'] === undefined) await rm(this.dir, { recursive: true, force: true });
  }
}

/** Every one of `total` files has reached an end state (delivered, removed, failed, vanished, skipped) on every target. */
export function settled(s: StatusBody, total: number): boolean {
  const f = s.counts.files;
  const ended = ['delivered', 'removed', 'failed', 'vanished', 'skipped'].reduce((n, k) => n + (f[k] ?? 0), 0);
  const busy = Object.values(s.counts.byTarget).reduce((n, t) => n + (t['uploading'] ?? 0), 0);
  return ended === total && (f['found'] ?? 0) + (f['downloading'] ?? 0) + (f['staged'] ?? 0) === 0 && busy === 0;
}

export async function getStatus(url: string): Promise<StatusBody> {
  const res = await fetch(`${url}/api/status`, { signal: AbortSignal.timeout(10_000) });
  return (await res.json()) as StatusBody;
}

/**
 * Polls the agent's status until `done` says so, calling `sample` between polls (each bounded by the
 * poll count and the deadline). Fails with the last status and the agent's stderr.
 */
export async function waitForStatus(
  world: E2eWorld,
  url: string,
  done: (s: StatusBody) => boolean,
  what: string,
  timeoutMs: number,
  sample?: (s: StatusBody) => void | Promise<void>,
): Promise<StatusBody> {
  const deadline = Date.now() + timeoutMs;
  let last: StatusBody | undefined;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    last = await getStatus(url).catch(() => last);
    if (last) {
      await sample?.(last);
      if (done(last)) return last;
    }
    if (world.agent?.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `waiting for ${what}: gave up after ${timeoutMs} ms; last status ${JSON.stringify(last?.counts)} ${JSON.stringify(last?.health)}; agent stderr: ${world.agent?.stderr.join('').slice(-3000)}`,
  );
}

/** Opens the agent's catalog for reading beside it, once the agent has created it (bounded wait). */
export async function waitForCatalog(path: string, timeoutMs = 30_000): Promise<Catalog> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1000; i++) {
    if (existsSync(path)) return openCatalogForReading(path);
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no catalog at ${path} after ${timeoutMs} ms`);
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every regular file below `root` (relative path → size and sha256); a missing root is empty. */
export async function hashTree(root: string, keep: (rel: string) => boolean = () => true): Promise<Map<string, { size: number; sha256: string }>> {
  const out = new Map<string, { size: number; sha256: string }>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && keep(relative(root, p))) out.set(relative(root, p), { size: (await stat(p)).size, sha256: await sha256File(p) });
    }
  };
  await walk(root);
  return out;
}

/** Relative paths of the regular files below `root`, from directory listings only (files may go meanwhile). */
export async function listTree(root: string): Promise<Set<string>> {
  const out = new Set<string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (e.isFile()) out.add(relative(root, join(d, e.name)));
    }
  };
  await walk(root);
  return out;
}

/** Total bytes of the regular files below `root` (0 when it is missing). */
export async function treeBytes(root: string): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) total += await stat(p).then((s) => s.size).catch(() => 0);
    }
  };
  await walk(root);
  return total;
}

/**
 * Fills a camera FTP root (written before the simulator starts, which then leaves it as it is):
 * `count` files of mixed sizes (bytes to about 2 MiB, random content), every `ulogEvery`-th a ULog
 * (`.ulg` with the magic Flight Review checks), an empty file, plus one file of `bigBytes` when given.
 */
export async function writeCameraFiles(root: string, count: number, options: { ulogEvery?: number; bigBytes?: number; maxBytes?: number } = {}): Promise<void> {
  await mkdir(join(root, 'dcim'), { recursive: true });
  const sizes = [0, 1, 17, 4096, 65_537, 200_000, 700_000];
  const maxBytes = options.maxBytes ?? 2 * MIB;
  for (let i = 0; i < count; i++) {
    const ulog = options.ulogEvery !== undefined && i % options.ulogEvery === 0;
    // Never empty (the one empty file is written below): equal content would be deduplicated on a target.
    const size = Math.max(1, Math.min(maxBytes, ulog ? 40_000 + i * 97 : (sizes[i % sizes.length]! + i * 1031) % (maxBytes + 1)));
    const path = ulog ? `logs/flight_${String(i).padStart(3, '0')}.ulg` : `dcim/${String(i % 5)}/IMG_${String(i).padStart(4, '0')}.${i % 3 ? 'jpg' : 'dng'}`;
    const bytes = randomBytes(size);
    if (ulog) ULOG_MAGIC.copy(bytes, 0, 0, Math.min(size, ULOG_MAGIC.length));
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), bytes);
  }
  await writeFile(join(root, 'dcim', 'empty.txt'), '');
  if (options.bigBytes !== undefined) {
    await mkdir(join(root, 'video'), { recursive: true });
    const chunks: Buffer[] = [];
    for (let left = options.bigBytes; left > 0; left -= Math.min(left, 4 * MIB)) chunks.push(randomBytes(Math.min(left, 4 * MIB)));
    await writeFile(join(root, 'video', 'survey_4k.mp4'), Buffer.concat(chunks));
  }
}

/** Where the agent puts a source file on an FTP target (the routes use the default template). */
export function nasPath(sourceId: string, path: string): string {
  return targetPathOf('{source}/{path}', sourceId, path);
}

/** sha256 of every `.ulg` Flight Review stored (one per accepted upload). */
export async function flightReviewHashes(root: string): Promise<string[]> {
  const dir = join(root, 'logs');
  const out: string[] = [];
  for (const name of (await readdir(dir).catch(() => [])).filter((n) => n.endsWith('.ulg'))) out.push(sha256(await readFile(join(dir, name))));
  return out.sort();
}
