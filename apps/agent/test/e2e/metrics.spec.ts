import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { openCatalogForReading } from '@filesync/store';
import { agentsForTests, makeAgentWorld } from '../agent-process';

const TOKEN = 'metrics-token-of-24-char';
const AUTH = { authorization: `Bearer ${TOKEN}` };
/** Sizes of the files moved: an empty one, one byte, a page, and a few checkpoints' worth. */
const SIZES = [0, 1, 4096, 300_000, 1_500_000];

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

    const deadline = Date.now() + 60_000;
    let last = await scrape(url);
    while (last.values.get('filesync_source_files{source="inbox",state="delivered"}') !== SIZES.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      last = await scrape(url);
    }
    // One more scrape after delivery: the rate then has two readings with the bytes in them.
    const { values, types } = await scrape(url);
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
