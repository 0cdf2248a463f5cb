import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCaptured } from './cli';

const UNIT = join(repoRoot, 'deploy/filesync.service');
const ANALYZE = '/usr/bin/systemd-analyze';
// CI installs systemd's tools (.ci/run); elsewhere they may be missing, and the checks below say so.
const hasAnalyze = existsSync(ANALYZE) || process.env['CI'] !== undefined;

const analyze = (...args: string[]) => promisify(execFile)(ANALYZE, args, { timeout: 60_000 });
// CI installs Debian's libjemalloc2, which the unit preloads (.ci/run); elsewhere it may be missing.
const hasJemalloc = process.env['CI'] !== undefined || /libjemalloc\.so\.2/.test(execFileSync('/sbin/ldconfig', ['-p']).toString());

/** The unit's `Key=value` lines (repeated keys kept in order). */
function settings(): [string, string][] {
  return readFileSync(UNIT, 'utf8')
    .split('\n')
    .filter((l) => /^[A-Za-z]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}

describe('deploy/filesync.service', () => {
  it('starts the built agent that this checkout has, with a command the CLI knows', async () => {
    const get = (key: string) => settings().find(([k]) => k === key)?.[1];
    expect(get('WorkingDirectory')).toBe('/opt/filesync');
    const [node, bin, ...args] = (get('ExecStart') ?? '').split(' ');
    expect(node).toBe('/usr/bin/node');
    expect(existsSync(join(repoRoot, bin ?? ''))).toBe(true);
    expect(args.slice(0, 2)).toEqual(['serve', '--config']);
    // The same command line against a config that is not there: the CLI knows it, and says what is missing.
    const { code, err } = await runCaptured([...args.slice(0, 2), join(repoRoot, 'no-such-config.json')]);
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/no-such-config\.json/);
    expect(get('RestartPreventExitStatus')).toBe('2');
  });

  it.skipIf(!hasJemalloc)('preloads jemalloc by its bare name, which the dynamic loader finds on any architecture', async () => {
    // Environment= lines, `KEY=value` words, as systemd passes them.
    const env = Object.fromEntries(
      settings()
        .filter(([k]) => k === 'Environment')
        .flatMap(([, v]) => v.split(/\s+/).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)])),
    );
    expect(env).toMatchObject({ LD_PRELOAD: 'libjemalloc.so.2', MALLOC_ARENA_MAX: '2' });
    const probe = "process.stdout.write(String(require('fs').readFileSync('/proc/self/maps', 'utf8').includes('/libjemalloc.so.2')))";
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-e', probe], { env: { ...process.env, ...env }, timeout: 30_000 });
    expect({ stdout, stderr }).toEqual({ stdout: 'true', stderr: '' });
  });

  it.skipIf(!hasAnalyze)('passes systemd-analyze verify', async () => {
    const { stdout, stderr } = await analyze('verify', UNIT);
    expect(stdout + stderr).toBe('');
  });

  it.skipIf(!hasAnalyze)('is hardened: systemd-analyze security rates its exposure at most 2.5 of 10 (an unhardened unit: 9.2)', async () => {
    const { stdout } = await analyze('security', '--offline=true', '--no-pager', UNIT);
    const score = Number(/Overall exposure level for filesync\.service: ([\d.]+)/.exec(stdout)?.[1]);
    expect(score).toBeGreaterThan(0);
    expect(score).toBeLessThanOrEqual(2.5);
    // The agent writes its state directory and nothing else of the system.
    expect(settings()).toEqual(expect.arrayContaining([['ProtectSystem', 'strict'], ['ReadWritePaths', '/var/lib/filesync'], ['NoNewPrivileges', 'yes']]));
  });
});
