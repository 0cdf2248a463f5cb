import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '@filesync/core/config';
import { agentRunning } from './agent-running';
import { writeStatusUrl } from './status-url-file';

const started: Array<{ server: Server; dir: string }> = [];

/** A config whose data dir names `handler`'s loopback server as the agent's status server. */
async function agentAnswering(handler: Parameters<typeof createServer>[1], token?: string) {
  const dir = await mkdtemp(join(tmpdir(), 'fs-running-'));
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  started.push({ server, dir });
  await writeStatusUrl(dir, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const config = parseConfig({
    dataDir: dir,
    ...(token === undefined ? {} : { status: { token } }),
    sources: [{ id: 'a', type: 'local', dir }],
    targets: [{ id: 'b', type: 'local', dir }],
    routes: [{ source: 'a', targets: ['b'] }],
  });
  return config;
}

afterEach(async () => {
  for (const { server, dir } of started.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
});

describe('whether the agent runs (filesync status asks its status server)', () => {
  it('is running when the server answers its status, with the token as a bearer', async () => {
    let authorization: string | undefined;
    const config = await agentAnswering((req, res) => {
      authorization = req.headers.authorization;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ startedAt: 5, counts: { files: {} } }));
    }, 'tok-0123456789abcdef');
    const running = await agentRunning(config, 'config.json');
    expect(running).toMatchObject({ running: true, status: { startedAt: 5, counts: { files: {} } } });
    expect(running.why).toMatch(/^running, status at http:\/\/127\.0\.0\.1:\d+$/);
    expect(authorization).toBe('Bearer tok-0123456789abcdef');
  });

  it('is not running when the server answers an error, saying which', async () => {
    const config = await agentAnswering((_req, res) => res.writeHead(401).end());
    expect(await agentRunning(config, 'config.json')).toMatchObject({ running: false, why: expect.stringMatching(/answers 401\)$/) });
  });

  it('is not running when the server holds the question unanswered, within the ask bound', async () => {
    const config = await agentAnswering(() => undefined);
    const since = performance.now();
    const running = await agentRunning(config, 'config.json');
    expect(running).toMatchObject({ running: false, why: expect.stringMatching(/no answer at/) });
    expect(performance.now() - since).toBeLessThan(10_000);
  }, 15_000);

  it('is not running when nothing listens at the address it wrote', async () => {
    const config = await agentAnswering((_req, res) => res.end());
    const { server } = started[0]!;
    await new Promise((resolve) => server.close(resolve));
    expect(await agentRunning(config, 'config.json')).toMatchObject({ running: false, why: expect.stringMatching(/no answer at/) });
  });
});
