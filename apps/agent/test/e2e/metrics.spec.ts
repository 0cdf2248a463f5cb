import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { openCatalogForReading } from '@filesync/store';
import { agentsForTests, makeAgentWorld } from '../agent-process';
import { worldsForTests, hashTree  } from './harness';

const TOKEN = 'metrics-token-of-24-char';
const AUTH = { authorization: `Bearer ${TOKEN}` };
/** Sizes of the files moved: an empty one, one byte, a page, and a few checkpoints' worth. */
const SIZES = [0, 1, 4096, 300_000, 1_500_000];

/** Scrapes until `done` holds for the values (bounded), then once more; fails with the last values. */
async function scrapeUntil(url: string, done: (values: Map<string, number>) => boolean, what: string, timeoutMs = 90_000): Promise<{ values: Map<string, number>; types: Map<string, string> }> {
  const deadline = Date.now() + timeoutMs;
  let last = await scrape(url);
  while (!done(last.values)) {
    if (Date.now() > deadline) throw new Error(`waiting for ${what}: gave up; last scrape ${JSON.stringify([...last.values].filter(([k]) => !k.startsWith('filesync_actor')))}`);
    await new Promise((r) => setTimeout(r, 250));
    last = await scrape(url);
  }
  // One more after: the rate then has two readings with the bytes in them.
  return scrape(url);
}

/** One scrape, parsed by an independent parser: `name{k="v",…}` (labels sorted) → value, and each family's type. */
async function scrape(url: string): Promise<{ values: Map<string, number>; types: Map<string, string> }> {
  const res = await fetch(`${url}/metrics`, { headers: AUTH, signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const values = new Map<string, number>();
  const types = new Map<string, string>();
  for (const family of parsePrometheusTextFormat(await res.text())) {
    types.set(family.name, family.type);
    for (const sample of family.metrics) {
      const labels = Object.entries(sample.labels ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      values.set(labels === '' ? family.name : `${family.name}{${labels}}`, Number(sample.value));
    }
  }
  return { values, types };
}

describe('/metrics (real agent)', () => {
  const agents = agentsForTests();

  it('after a run, files and bytes per source and target equal what was moved and the catalog; 401 without the token', async () => {
    const secrets = await mkdtemp(join(tmpdir(), 'fs-token-'));
    agents.cleanup(() => rm(secrets, { recursive: true, force: true }));
    await writeFile(join(secrets, 'token'), `${TOKEN}\n`);
    const files = Object.fromEntries(SIZES.map((size, i) => [`dir/f${i}.bin`, randomBytes(size)]));
    const { dir, configFile } = await makeAgentWorld(files, { status: { host: '127.0.0.1', port: 0, tokenFile: join(secrets, 'token') } });
    agents.cleanup(() => rm(dir, { recursive: true, force: true }));
    const agent = agents.start(configFile);
    const url = await agent.ready;
    expect(new URL(url).hostname).toBe('127.0.0.1');

    const refused = await fetch(`${url}/metrics`);
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toMatch(/filesync_/);

    const { values, types } = await scrapeUntil(url, (v) => v.get('filesync_source_files{source="inbox",state="delivered"}') === SIZES.length, 'every file delivered');
    const bytes = SIZES.reduce((a, b) => a + b, 0);
    const n = SIZES.length;
    expect({
      sourceFiles: values.get('filesync_source_files{source="inbox",state="delivered"}'),
      sourceBytes: values.get('filesync_source_bytes{source="inbox",state="delivered"}'),
      targetFiles: values.get('filesync_target_files{state="uploaded",target="outbox"}'),
      targetBytes: values.get('filesync_target_bytes{state="uploaded",target="outbox"}'),
      downloaded: values.get('filesync_transferred_bytes{device="inbox",direction="download"}'),
      uploaded: values.get('filesync_transferred_bytes{device="outbox",direction="upload"}'),
      pendingBytes: values.get('filesync_target_pending_bytes{target="outbox"}'),
      downloadQueue: values.get('filesync_queue_files{device="inbox",stage="download"}'),
      uploadQueue: values.get('filesync_queue_files{device="outbox",stage="upload"}'),
      catalogFiles: values.get('filesync_catalog_files'),
      sourceUp: values.get('filesync_device_state{device="inbox",role="source",state="up"}'),
      sourceDown: values.get('filesync_device_state{device="inbox",role="source",state="down"}'),
      targetUp: values.get('filesync_device_state{device="outbox",role="target",state="up"}'),
    }).toEqual({
      sourceFiles: n,
      sourceBytes: bytes,
      targetFiles: n,
      targetBytes: bytes,
      downloaded: bytes,
      uploaded: bytes,
      pendingBytes: 0,
      downloadQueue: 0,
      uploadQueue: 0,
      catalogFiles: n,
      sourceUp: 1,
      sourceDown: 0,
      targetUp: 1,
    });
    // Nothing failed; a worker of each group is listed with its restarts.
    expect([...values.keys()].filter((k) => k.startsWith('filesync_failures_total'))).toEqual([]);
    expect(values.get('filesync_actor_restarts_total{actor="source:inbox/downloader"}')).toBeGreaterThanOrEqual(0);
    expect(values.get('filesync_actor_restarts_total{actor="target:outbox/uploader"}')).toBeGreaterThanOrEqual(0);
    expect(values.get('filesync_staging_free_bytes')).toBeGreaterThan(0);
    expect(values.get('filesync_catalog_bytes')).toBeGreaterThan(0);
    expect(values.get('filesync_transfer_rate_bytes_per_second{device="outbox",direction="upload"}')).toBeGreaterThanOrEqual(0);
    expect(types.get('filesync_failures_total')).toBe('COUNTER');
    expect(types.get('filesync_actor_restarts_total')).toBe('COUNTER');
    expect(types.get('filesync_source_files')).toBe('GAUGE');

    // The same figures as the catalog beside the agent.
    const catalog = openCatalogForReading(join(dir, 'catalog.db'));
    try {
      const counts = catalog.counts();
      for (const [state, count] of Object.entries(counts.bySource['inbox'] ?? {})) {
        expect(values.get(`filesync_source_files{source="inbox",state="${state}"}`) ?? 0, state).toBe(count);
      }
      for (const [state, count] of Object.entries(counts.byTarget['outbox'] ?? {})) {
        expect(values.get(`filesync_target_files{state="${state}",target="outbox"}`) ?? 0, state).toBe(count);
      }
    } finally {
      catalog.close();
    }
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
  }, 120_000);
});

describe('/metrics (real agent, PX4 simulator over MAVFTP)', () => {
  const worlds = worldsForTests();

  it('shows the link round trip, and a file Flight Review refuses as one upload failure with its code', async () => {
    const w = await worlds.create();
    const px4 = await w.sim('px4', 'px4', ['--port', '0', '--no-pty', '--logs', '3', '--min-bytes', '20000', '--max-bytes', '60000']);
    const review = await w.sim('flight-review', 'review', ['--port', '0']);
    const logDir = join(w.simRoot('px4'), 'fs', 'microsd', 'log');
    // Not a ULog: Flight Review answers 400, a permanent failure (code bad-request) on that target only.
    await writeFile(join(logDir, 'not-a-log.ulg'), 'plain text, no ULog magic');
    const logs = await hashTree(logDir);
    const good = [...logs].filter(([path]) => path !== 'not-a-log.ulg');
    expect(good.length).toBe(3);
    const url = await w.startAgent({
      ...w.baseConfig(),
      sources: [{ id: 'px4', type: 'mavftp', link: `udpout:${String(px4.ready['udp'])}`, logDir: '/fs/microsd/log', pollIntervalSec: 1 }],
      targets: [
        { id: 'outbox', type: 'local', dir: join(w.dir, 'outbox') },
        { id: 'review', type: 'http', mode: 'flight-review', url: String(review.ready['http']) },
      ],
      routes: [{ source: 'px4', targets: ['outbox', 'review'], policy: 'copy' }],
    });
    const { values } = await scrapeUntil(
      url,
      (v) => v.get('filesync_source_files{source="px4",state="delivered"}') === good.length && v.get('filesync_target_files{state="failed",target="review"}') === 1,
      'the good logs delivered and the bad one failed on Flight Review',
    );
    const all = [...logs.values()].reduce((n, f) => n + f.size, 0);
    const goodBytes = good.reduce((n, [, f]) => n + f.size, 0);
    expect({
      delivered: values.get('filesync_source_bytes{source="px4",state="delivered"}'),
      staged: values.get('filesync_source_files{source="px4",state="staged"}'),
      downloaded: values.get('filesync_transferred_bytes{device="px4",direction="download"}'),
      outbox: values.get('filesync_target_bytes{state="uploaded",target="outbox"}'),
      review: values.get('filesync_target_bytes{state="uploaded",target="review"}'),
      failures: values.get('filesync_failures_total{code="bad-request",device="review",stage="upload"}'),
    }).toEqual({ delivered: goodBytes, staged: 1, downloaded: all, outbox: all, review: goodBytes, failures: 1 });
    // Over UDP on loopback the simulator answers within milliseconds; the bound only rules out units gone wrong.
    const rtt = values.get('filesync_link_round_trip_seconds{source="px4"}');
    expect(rtt).toBeGreaterThan(0);
    expect(rtt).toBeLessThan(2);
    expect(await w.stopAgent()).toBe(0);
  }, 180_000);
});
