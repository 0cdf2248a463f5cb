import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { E2eWorld, ULOG_MAGIC, flightReviewHashes, sha256, waitForStatus } from './harness';

/**
 * Issue 17 item 2 with the real agent: a captive portal stands between the agent and Flight Review
 * and answers every upload with a 302 to its login page on another host. With `policy: move`, no
 * source file may be deleted while the portal answers; once the portal lets traffic through, every
 * file reaches the site and only then leaves the source.
 */
describe('e2e: a captive portal in front of Flight Review (real agent process, real simulator)', () => {
  let world: E2eWorld | undefined;
  let portal: Server | undefined;
  afterEach(async () => {
    await world?.cleanup();
    world = undefined;
    portal?.closeAllConnections();
    await new Promise<void>((resolve) => (portal ? portal.close(() => resolve()) : resolve()));
    portal = undefined;
  });

  it('keeps every source file while the portal answers, and moves them once uploads really land', async () => {
    const w = (world = await E2eWorld.create());
    const review = await w.sim('flight-review', 'review', ['--port', '0']);
    const site = new URL(String(review.ready['http']));
    let open = false;
    let intercepted = 0;
    portal = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (!open) {
        intercepted += 1;
        req.resume();
        req.on('end', () => res.writeHead(302, { location: `http://[::1]:${port}/login` }).end());
        return;
      }
      const upstream = request(new URL(req.url ?? '/', site), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => portal!.listen(0, '127.0.0.1', resolve));
    const port = (portal.address() as { port: number }).port;

    const sourceDir = join(w.dir, 'source');
    await mkdir(sourceDir, { recursive: true });
    const files = new Map<string, string>();
    for (let i = 0; i < 3; i++) {
      const bytes = Buffer.concat([ULOG_MAGIC, Buffer.alloc(8), randomBytes(20_000 + i * 1000)]);
      await writeFile(join(sourceDir, `flight-${i}.ulg`), bytes);
      files.set(`flight-${i}.ulg`, sha256(bytes));
    }
    const url = await w.startAgent({
      ...w.baseConfig(),
      sources: [{ id: 'logs', type: 'local', dir: sourceDir, pollIntervalSec: 1 }],
      targets: [{ id: 'fr', type: 'http', mode: 'flight-review', url: `http://127.0.0.1:${port}` }],
      routes: [{ source: 'logs', targets: ['fr'], policy: 'move' }],
    });

    // The portal's answer surfaces as the target's cause, naming where it pointed; nothing counts as uploaded.
    const blocked = await waitForStatus(w, url, (s) => s.health.targets['fr']?.cause?.code === 'disconnected', 'the portal to show in health', 120_000);
    expect(blocked.health.targets['fr']?.cause?.message).toContain('[::1]');
    expect(intercepted).toBeGreaterThan(0);
    expect(blocked.counts.byTarget['fr']?.['uploaded'] ?? 0).toBe(0);
    expect((await readdir(sourceDir)).sort()).toEqual([...files.keys()].sort());
    expect(await flightReviewHashes(w.simRoot('review'))).toEqual([]);

    open = true;
    const end = await waitForStatus(w, url, (s) => (s.counts.files['removed'] ?? 0) === files.size, 'every file moved', 180_000);
    expect(end.counts.byTarget['fr']?.['uploaded']).toBe(files.size);
    expect(await flightReviewHashes(w.simRoot('review'))).toEqual([...files.values()].sort());
    expect(await readdir(sourceDir)).toEqual([]);
    // Health reaches status by a poll of the workers (about once a second): it follows the moves shortly.
    await waitForStatus(w, url, (s) => s.health.targets['fr']?.state === 'up', 'the target up again', 30_000);
    expect(await w.stopAgent()).toBe(0);
  }, 300_000);
});
