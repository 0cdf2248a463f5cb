import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import { filesyncBin, repoRoot } from './cli';

/**
 * A temp world with a local→local config (top-level fields replaced by `overrides`, or by what it
 * returns for the world's directory), for running the real agent process.
 */
export async function makeAgentWorld(
  files: Record<string, Uint8Array | string>,
  overrides: Record<string, unknown> | ((dir: string) => Record<string, unknown>) = {},
): Promise<{ dir: string; configFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'fs-agent-'));
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(dirname(join(dir, 'inbox', path)), { recursive: true });
    await writeFile(join(dir, 'inbox', path), bytes);
  }
  const config = {
    dataDir: dir,
    log: { level: 'info', file: join(dir, 'logs', 'filesync.log') },
    status: { host: '127.0.0.1', port: 0 },
    sources: [{ id: 'inbox', type: 'local', dir: join(dir, 'inbox'), pollIntervalSec: 0.2 }],
    targets: [{ id: 'outbox', type: 'local', dir: join(dir, 'outbox') }],
    routes: [{ source: 'inbox', targets: ['outbox'] }],
    ...(typeof overrides === 'function' ? overrides(dir) : overrides),
  };
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify(config));
  return { dir, configFile };
}

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the status URL once the agent says it serves. */
  readonly ready: Promise<string>;
  readonly exited: Promise<number | null>;
}

/** `readyTimeoutMs`: how long `ready` waits for "serving" (a loaded 2-core CI box needs long). */
export function startAgentProcess(configFile: string, readyTimeoutMs = 120_000): AgentProcess {
  const child = spawn(process.execPath, [filesyncBin, 'serve', '--config', configFile], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent not ready after ${readyTimeoutMs / 1000} s; stderr: ${stderr.join('')}`)), readyTimeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      stdout.push(d.toString());
      const m = /status at (http:\/\/\S+)/.exec(stdout.join(''));
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', () => reject(new Error(`agent exited before it was ready; stderr: ${stderr.join('')}`)));
  });
  child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout, stderr, ready, exited };
}

/**
 * Real agents for one describe block's tests: after each test, an agent it started that still runs
 * is SIGKILLed, then what it registered with `cleanup` (temp directories) is undone.
 */
export function agentsForTests(): { start(configFile: string): AgentProcess; readonly started: readonly AgentProcess[]; cleanup(undo: () => Promise<unknown>): void } {
  const started: AgentProcess[] = [];
  const undos: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const agent of started.splice(0)) if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
    for (const undo of undos.splice(0)) await undo();
  });
  return {
    start(configFile) {
      const agent = startAgentProcess(configFile);
      started.push(agent);
      return agent;
    },
    started,
    cleanup: (undo) => void undos.push(undo),
  };
}
