import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCaptured, runProcess } from '../../test/cli';

const configs = join(repoRoot, 'apps/agent/test/configs');

/** Each broken config with the field paths `check-config` must name, one line each. */
const broken: Record<string, string[]> = {
  'bad-missing-datadir.json': ['dataDir'],
  'bad-unknown-source-type.json': ['sources[0].type'],
  'bad-route-references.json': ['routes[0].source', 'routes[0].targets[1]'],
  'bad-duplicate-ids.json': ['sources[1].id'],
  'bad-mavftp-link.json': ['sources[0].link', 'sources[0].systemId'],
  'bad-policy-and-typo.json': ['routes[0].policy', 'routes[0]'],
  'bad-sizes.json': ['staging.reserveBytes', 'staging.checkpointBytes', 'routes[0].filter.minSize'],
  'bad-http-target.json': ['targets[0].mode', 'targets[0].url'],
  'bad-disk-match.json': ['status.port', 'sources[0].match'],
  'bad-ids.json': ['sources[0].id', 'targets', 'routes'],
  'bad-types.json': ['status.port', 'sources[0].pollIntervalSec'],
  'bad-not-json.json': ['(file)'],
  'bad-http-url-schemes.json': ['targets[0].url', 'targets[1].url', 'targets[2].url'],
  'bad-ftp-ports.json': ['sources[0].url', 'targets[0].url'],
  'no-such-file.json': ['(file)'],
};

describe('filesync check-config', () => {
  for (const [file, paths] of Object.entries(broken)) {
    it(`names each wrong field of ${file} and exits non-zero`, async () => {
      const path = join(configs, file);
      const { code, err, out } = await runCaptured(['check-config', path]);
      expect(code).toBe(2);
      expect(out).toEqual([]);
      expect(err.map((line) => line.slice(`${path}: `.length).split(': ')[0])).toEqual(paths);
      for (const line of err) {
        expect(line.startsWith(`${path}: `)).toBe(true);
        expect(line.split(': ').length).toBeGreaterThanOrEqual(3); // file: field: reason
        expect(line).not.toMatch(/\n|^\s*at .*:\d+:\d+\)?$/); // no stack traces
      }
    });
  }

  it('never prints a password: not from a password file given as the config, nor from a URL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'check-config-secret-'));
    try {
      const secret = 'hunter2-do-not-print';
      const passwordFile = join(dir, 'ftp-password');
      await writeFile(passwordFile, `${secret}\n`);
      const quoted = join(dir, 'quoted');
      await writeFile(quoted, `{\n  "password": "${secret}",\n}`);
      for (const file of [passwordFile, quoted, join(configs, 'bad-ftp-ports.json')]) {
        const { code, out, err } = await runCaptured(['check-config', file]);
        expect(code).toBe(2);
        const printed = [...out, ...err].join('\n');
        expect(printed).not.toMatch(/hunter/);
        expect(err[0]).toMatch(/: \(file\): not valid JSON|: sources\[0\]\.url: port/);
      }
      const { err } = await runCaptured(['check-config', quoted]);
      expect(err).toEqual([`${quoted}: (file): not valid JSON at line 3, column 1; check that this is the config file (its content is not shown, since it may hold a secret)`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--check-secrets reads every password and token file and variable, names the field of each it cannot have, never prints one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'check-secrets-'));
    try {
      const secret = 'hunter2-do-not-print-either';
      await writeFile(join(dir, 'nas.password'), `${secret}\n`);
      await writeFile(join(dir, 'empty.password'), '\n');
      const ftp = (id: string, extra: object): object => ({ id, type: 'ftp', url: 'ftp://127.0.0.1/x', user: 'u', ...extra });
      const config = {
        dataDir: 'data',
        status: { host: '127.0.0.1', port: 0, tokenEnv: 'FILESYNC_TEST_NO_SUCH_TOKEN' },
        sources: [ftp('cam', { passwordEnv: 'FILESYNC_TEST_NO_SUCH_PASSWORD' })],
        targets: [
          ftp('nas', { passwordFile: 'nas.password' }),
          ftp('nas2', { passwordFile: 'missing.password' }),
          ftp('nas3', { passwordFile: 'empty.password' }),
          { id: 'fleet', type: 's3', bucket: 'fleet', accessKeyId: 'AK', secretAccessKeyFile: 'missing.secret' },
        ],
        routes: [{ source: 'cam', targets: ['nas', 'nas2', 'nas3', 'fleet'] }],
      };
      const file = join(dir, 'filesync.json');
      await writeFile(file, JSON.stringify(config));
      delete process.env['FILESYNC_TEST_NO_SUCH_TOKEN'];
      delete process.env['FILESYNC_TEST_NO_SUCH_PASSWORD'];
      const plain = await runCaptured(['check-config', file]);
      expect(plain.code, 'without the flag nothing is read').toBe(0);
      const { code, out, err } = await runCaptured(['check-config', '--check-secrets', file]);
      expect(code).toBe(2);
      expect(out).toEqual([]);
      expect(err).toEqual([
        `${file}: status.tokenEnv: environment variable FILESYNC_TEST_NO_SUCH_TOKEN is not set`,
        `${file}: sources[0].passwordEnv: environment variable FILESYNC_TEST_NO_SUCH_PASSWORD is not set`,
        `${file}: targets[1].passwordFile: cannot read ${join(dir, 'missing.password')} (ENOENT)`,
        `${file}: targets[2].passwordFile: gives an empty secret`,
        `${file}: targets[3].secretAccessKeyFile: cannot read ${join(dir, 'missing.secret')} (ENOENT)`,
      ]);
      expect(err.join('\n')).not.toContain('hunter2');
      const fixed = { ...config, status: { host: '127.0.0.1', port: 0 }, sources: [ftp('cam', {})], targets: [config.targets[0]], routes: [{ source: 'cam', targets: ['nas'] }] };
      await writeFile(file, JSON.stringify(fixed));
      const good = await runCaptured(['check-config', '--check-secrets', file]);
      expect(good.code).toBe(0);
      expect(good.out).toEqual([`${file}: ok (1 source, 1 target, 1 route; 1 secret readable)`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts the example config', async () => {
    const file = join(repoRoot, 'docs/config.example.json');
    const { code, out } = await runCaptured(['check-config', file]);
    expect(code, file).toBe(0);
    expect(out[0]).toMatch(/: ok \(\d+ sources?, \d+ targets?, \d+ routes?\)$/);
  });

  it('works as a real process through the filesync executable', async () => {
    const bad = await runProcess(['check-config', join(configs, 'bad-route-references.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('routes[0].source: no source has id "px4"');
    const good = await runProcess(['check-config', join(repoRoot, 'docs/config.example.json')]);
    expect(good.code).toBe(0);
  }, 60_000);
});
