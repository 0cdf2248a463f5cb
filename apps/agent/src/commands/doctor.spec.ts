import { rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentsForTests, makeAgentWorld } from '../../test/agent-process';
import { runCaptured } from '../../test/cli';
import { checkClock } from '../doctor/check-clock';

/** A port on 127.0.0.1 that nothing listens on (taken, then given back). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Doctor's lines by area, for the assertions below. */
function byArea(out: readonly string[]): Record<string, string> {
  return Object.fromEntries(out.map((line) => [/^\S+\s+([^:]+):/.exec(line)?.[1] ?? line, line]));
}

describe('filesync doctor', () => {
  const agents = agentsForTests();

  it('with the agent stopped: reaches each device itself, names the unreachable one with its cause and advice, exit 1', async () => {
    const port = await closedPort();
    const { dir, configFile } = await makeAgentWorld(
      { 'a.bin': 'a' },
      {
        targets: [
          { id: 'outbox', type: 'local', dir: 'outbox' },
          { id: 'nas', type: 'ftp', url: `ftp://127.0.0.1:${port}/up` },
          { id: 'nas2', type: 'ftp', url: `ftp://127.0.0.1:${port}/up`, user: 'u', passwordEnv: 'FILESYNC_TEST_DOCTOR_UNSET' },
        ],
        routes: [{ source: 'inbox', targets: ['outbox', 'nas', 'nas2'] }],
      },
    );
    agents.cleanup(() => rm(dir, { recursive: true, force: true }));
    delete process.env['FILESYNC_TEST_DOCTOR_UNSET'];
    const { code, out } = await runCaptured(['doctor', '--config', configFile, '--timeout', '5']);
    const lines = byArea(out);
    expect(code).toBe(1);
    expect(lines['config']).toMatch(/^FAIL  config: targets\[2\]\.passwordEnv: environment variable FILESYNC_TEST_DOCTOR_UNSET is not set → /);
    expect(lines['agent']).toMatch(/^WARN  agent: not running/);
    expect(lines['source inbox']).toBe('ok    source inbox: reachable; lists a.bin');
    expect(lines['target outbox']).toBe('ok    target outbox: reachable');
    expect(lines['target nas']).toMatch(/^FAIL  target nas: .*127\.0\.0\.1.* → check that the device is on, connected, and at the address in the config$/);
    expect(lines['target nas2']).toBe('FAIL  target nas2: passwordEnv: environment variable FILESYNC_TEST_DOCTOR_UNSET is not set → fix the target\'s config');
    expect(lines['staging']).toMatch(/^(ok  |WARN)  staging: \d+ MiB free of \d+ MiB at /);
    expect(lines['clock']).toMatch(/^ok    clock: the system clock says 20\d\d-/);
    expect(lines['catalog']).toMatch(/^ok    catalog: none yet at /);
  }, 60_000);

  it('a damaged catalog fails with what the agent will do about it', async () => {
    const { dir, configFile } = await makeAgentWorld({});
    agents.cleanup(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'catalog.db'), Buffer.alloc(8192, 0x5a));
    const { code, out } = await runCaptured(['doctor', '--config', configFile, '--json']);
    expect(code).toBe(1);
    const report = JSON.parse(out[0]!) as { findings: { level: string; area: string; message: string; advice?: string }[] };
    const catalog = report.findings.find((f) => f.area === 'catalog');
    expect(catalog).toMatchObject({ level: 'fail', message: expect.stringMatching(/catalog\.db/), advice: expect.stringMatching(/repairs the catalog/) });
  }, 60_000);

  it('with the agent running: takes each device\'s health from it instead of opening a second session, exit 0', async () => {
    const { dir, configFile } = await makeAgentWorld({ 'b.bin': 'b' });
    agents.cleanup(() => rm(dir, { recursive: true, force: true }));
    const url = await agents.start(configFile).ready;
    // The agent polls its devices' health a moment after it serves: until then doctor says so (a warning).
    const early = byArea((await runCaptured(['doctor', '--config', configFile])).out);
    expect(early['source inbox']).toMatch(/^(ok    source inbox: up|WARN  source inbox: not reported by the running agent yet)/);
    for (let i = 0; i < 60; i++) {
      const health = ((await (await fetch(`${url}/api/status`)).json()) as { health: { sources: object; targets: object } }).health;
      if ('inbox' in health.sources && 'outbox' in health.targets) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const { code, out } = await runCaptured(['doctor', '--config', configFile]);
    const lines = byArea(out);
    expect(lines['agent']).toMatch(/^ok    agent: running, status at http:\/\/127\.0\.0\.1:\d+/);
    expect(lines['source inbox']).toBe('ok    source inbox: up (as the running agent sees it)');
    expect(lines['target outbox']).toBe('ok    target outbox: up (as the running agent sees it)');
    expect(lines['catalog']).toMatch(/^ok    catalog: .*catalog\.db is sound$/);
    expect(code, out.join('\n')).toBe(0);
  }, 180_000);

  it('a config that does not load: each wrong field, exit 2', async () => {
    const { dir, configFile } = await makeAgentWorld({}, { status: { host: '127.0.0.1', port: 'eighty' } });
    agents.cleanup(() => rm(dir, { recursive: true, force: true }));
    const { code, out } = await runCaptured(['doctor', '--config', configFile]);
    expect(code).toBe(2);
    expect(out).toEqual([expect.stringMatching(/^FAIL  config: status\.port: expected a number, got a string → fix the field/)]);
  });
});

describe('doctor: the clock', () => {
  it('a clock before any real date (a Pi without RTC after a power cut) fails; one behind the catalog warns', () => {
    expect(checkClock(Date.UTC(1970, 0, 1, 0, 5), undefined)).toMatchObject({ level: 'fail', message: expect.stringContaining('1970-01-01') });
    const now = Date.UTC(2026, 11, 6);
    expect(checkClock(now, now + 3_600_000)).toMatchObject({ level: 'warn', message: expect.stringContaining('went backwards') });
    expect(checkClock(now, now - 1000)).toMatchObject({ level: 'ok' });
  });
});
