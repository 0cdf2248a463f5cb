import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentsForTests, makeAgentWorld } from '../test/agent-process';
import { runProcess } from '../test/cli';
import { statusAccess, statusToken } from './status-access';

const TOKEN = 'a-token-of-twenty-four-c';

describe('status server access', () => {
  it('a token from a variable that is not set is a config error naming the field, never the value', () => {
    delete process.env['FILESYNC_TEST_UNSET_TOKEN'];
    expect(() => statusToken({ host: '0.0.0.0', port: 1, tokenEnv: 'FILESYNC_TEST_UNSET_TOKEN' }, 'c.json')).toThrow(
      expect.objectContaining({ problems: [{ path: 'status.tokenEnv', message: 'environment variable FILESYNC_TEST_UNSET_TOKEN is not set' }] }),
    );
  });

  it('with a token: a request needs it (bearer or ?token=); without: only Host names of this machine', () => {
    const guarded = statusAccess(TOKEN);
    expect(guarded.refuse({ host: '127.0.0.1:8080' }, '')).toMatchObject({ status: 401 });
    expect(guarded.refuse({ host: 'x', authorization: 'Bearer wrong-token-of-twenty-four' }, '')).toMatchObject({ status: 401 });
    expect(guarded.refuse({ host: 'x', authorization: `Bearer ${TOKEN}` }, '')).toBeUndefined();
    expect(guarded.refuse({ host: 'x' }, `token=${TOKEN}`)).toBeUndefined();
    const open = statusAccess(undefined);
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080']) expect(open.refuse({ host }, '')).toBeUndefined();
    // DNS rebinding: a page served by another name that now resolves to 127.0.0.1.
    expect(open.refuse({ host: 'evil.example:8080' }, '')).toMatchObject({ status: 403 });
  });
});

describe('status server access (real agent)', () => {
  const agents = agentsForTests();

  it('refuses to start on a non-loopback address without a token: exit 2 naming status.host, nothing bound', async () => {
    const { dir, configFile } = await makeAgentWorld({ 'one.bin': 'one' }, { status: { host: '0.0.0.0', port: 0 } });
    agents.cleanup(() => rm(dir, { recursive: true, force: true }));
    const { code, stdout, stderr } = await runProcess(['serve', '--config', configFile]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/status\.host: is not a loopback address/);
  });

  it('with a token from a file: 401 without it, the status with it, and `filesync status` (which sends it) sees the agent running', async () => {
    const secrets = await mkdtemp(join(tmpdir(), 'fs-token-'));
    agents.cleanup(() => rm(secrets, { recursive: true, force: true }));
    await writeFile(join(secrets, 'token'), `${TOKEN}\n`);
    const { dir, configFile } = await makeAgentWorld({ 'one.bin': 'one' }, { status: { host: '127.0.0.1', port: 0, tokenFile: join(secrets, 'token') } });
    agents.cleanup(() => rm(dir, { recursive: true, force: true }));
    const agent = agents.start(configFile);
    const url = await agent.ready;
    const refused = await fetch(`${url}/api/status`);
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toContain(TOKEN);
    const served = await fetch(`${url}/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(served.status).toBe(200);
    expect((await fetch(`${url}/?token=${TOKEN}`)).status).toBe(200);
    const status = await runProcess(['status', '--config', configFile]);
    expect(status.stdout.split('\n')[0]).toBe(`agent: running, status at ${url}`);
    expect(status.stdout + status.stderr + agent.stdout.join('') + agent.stderr.join('')).not.toContain(TOKEN);
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
  }, 60_000);

  it('on loopback without a token, a request whose Host names another machine is refused (DNS rebinding)', async () => {
    const { dir, configFile } = await makeAgentWorld({ 'one.bin': 'one' });
    agents.cleanup(() => rm(dir, { recursive: true, force: true }));
    const agent = agents.start(configFile);
    const url = await agent.ready;
    const port = new URL(url).port;
    // fetch sets Host from the URL; node:http lets the test name another.
    const { request } = await import('node:http');
    const statusWithHost = (host: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/status', headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await statusWithHost('evil.example')).toBe(403);
    expect(await statusWithHost(`127.0.0.1:${port}`)).toBe(200);
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
  }, 60_000);
});
