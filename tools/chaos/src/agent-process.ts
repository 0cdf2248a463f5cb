import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The real agent as a child process: `node apps/agent/bin/filesync.js serve --config FILE`. */
export interface AgentProcess {
  readonly child: ChildProcess;
  /** Resolves once the agent says it serves (its tree is up); rejects if it exits first or is silent too long. */
  readonly ready: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The tail of its stderr, for reports. */
  stderrTail(): string;
  isRunning(): boolean;
}

const STDERR_KEEP = 20_000;

/**
 * Starts the agent from `repoRoot` (the chaos runner's own checkout by default; `--agent-root` points it
 * at another, e.g. a deliberately broken build).
 */
export function startAgentProcess(repoRoot: string, configFile: string, env: NodeJS.ProcessEnv = {}, readyTimeoutMs = 90_000): AgentProcess {
  const child = spawn(process.execPath, [join(repoRoot, 'apps/agent/bin/filesync.js'), 'serve', '--config', configFile], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-STDERR_KEEP);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent not serving after ${readyTimeoutMs} ms; stderr: ${stderr.slice(-2000)}`)), readyTimeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      if (stdout.length < 10_000) stdout += d.toString();
      if (stdout.includes('filesync: serving')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`agent exited (${code ?? signal}) before serving; stderr: ${stderr.slice(-2000)}`));
    });
  });
  // A kill before ready is a normal chaos event: nobody has to await `ready`.
  ready.catch(() => undefined);
  return {
    child,
    ready,
    exited,
    stderrTail: () => stderr.slice(-4000),
    isRunning: () => child.exitCode === null && child.signalCode === null,
  };
}

/** Whether `event` settles within `ms`; leaves no timer behind. */
export async function settlesWithin(event: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([event.then(() => true, () => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  clearTimeout(timer);
  return settled;
}

/** Waits until the agent serves, it is gone, or `ms` pass — whichever comes first. */
export async function untilServing(agent: AgentProcess, ms: number): Promise<void> {
  await settlesWithin(agent.ready, ms);
}

/** SIGKILL: the process ends at once, mid-write wherever it was (a power cut, minus the page cache). */
export async function killAgent(agent: AgentProcess): Promise<void> {
  if (!agent.isRunning()) return;
  agent.child.kill('SIGKILL');
  await agent.exited;
}

/** SIGTERM, then SIGKILL after `boundMs`; resolves with how it ended. */
export async function stopAgent(agent: AgentProcess, boundMs = 30_000): Promise<'clean' | 'killed' | 'failed'> {
  if (!agent.isRunning()) return 'failed';
  agent.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<'killed'>((resolve) => {
    timer = setTimeout(() => {
      agent.child.kill('SIGKILL');
      resolve('killed');
    }, boundMs);
  });
  const how = await Promise.race([agent.exited.then(({ code }) => (code === 0 ? ('clean' as const) : ('failed' as const))), killed]);
  clearTimeout(timer);
  await agent.exited;
  return how;
}
