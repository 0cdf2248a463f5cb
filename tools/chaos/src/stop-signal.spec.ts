import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CHAOS_REPO_ROOT } from './broken-worktree';

/**
 * A process whose stop takes a second, signalled twice 200 ms apart — as the runner is when `npm`, `sh`
 * and tsx's parent each relay one SIGINT to it (`pkill -f`, a service manager, a Ctrl-C).
 */
async function signalledTwice(install: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  const script = `${install}((s) => { console.log('stopping on ' + s); setTimeout(() => process.exit(130), 1000); }); console.log('ready'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: CHAOS_REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  for (let i = 0; i < 200 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 200));
  child.kill('SIGINT');
  return { ...(await exited), out };
}

describe('stop signals', () => {
  it('a second SIGINT during the stop does not cut the stop short', async () => {
    const r = await signalledTwice(`const { onStopSignal } = await import('./tools/chaos/src/stop-signal.ts'); onStopSignal`);
    expect(r, r.out).toMatchObject({ code: 130, signal: null });
    expect(r.out.match(/stopping on/g)).toHaveLength(1);
  }, 30_000);

  it('(control) a one-shot handler, as the runner had, dies by the second one', async () => {
    const r = await signalledTwice(`((stop) => process.once('SIGINT', stop))`);
    expect(r, r.out).toMatchObject({ code: null, signal: 'SIGINT' });
  }, 30_000);
});
