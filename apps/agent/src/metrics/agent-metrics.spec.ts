import { tmpdir } from 'node:os';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import type { ChildSnapshot, SupervisorSnapshot } from '@filesync/actors';
import type { HealthSnapshot, PipelineHealth } from '@filesync/pipeline';
import type { CatalogTotals } from '@filesync/store';
import { Registry } from 'prom-client';
import { type MetricsInputs, PROMETHEUS_TEXT, createAgentMetrics } from './agent-metrics';

const UP: HealthSnapshot = { state: 'up', cause: undefined, consecutiveFailures: 0, retryAtMs: 0, since: 0 };

function supervisor(id: string, children: ChildSnapshot[]): SupervisorSnapshot {
  return { id, path: [id], strategy: 'one_for_one', state: 'running', intensity: 3, periodMs: 5000, restartsInWindow: 0, children };
}
function child(id: string, restarts: number, nested?: SupervisorSnapshot): ChildSnapshot {
  return { id, kind: nested ? 'supervisor' : 'worker', restart: 'permanent', state: 'running', uptimeMs: 1, restarts, lastExit: undefined, threadId: undefined, supervisor: nested };
}

/** Series of one scrape as `name{k="v",…}` (labels in the order written) → value. */
async function series(metrics: { render(): Promise<string> }): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const family of parsePrometheusTextFormat(await metrics.render())) {
    for (const s of family.metrics) {
      const labels = Object.entries(s.labels ?? {}).map(([k, v]) => `${k}="${v}"`).join(',');
      out.set(labels ? `${family.name}{${labels}}` : family.name, Number(s.value));
    }
  }
  return out;
}

describe('createAgentMetrics', () => {
  it('names the content type of the text format prom-client renders, before prom-client is loaded', () => {
    expect(PROMETHEUS_TEXT).toBe(Registry.PROMETHEUS_CONTENT_TYPE);
    expect(new Registry().contentType).toBe(PROMETHEUS_TEXT);
  });

  it('a device that leaves the status leaves the metrics; restarts are named by their path in the tree', async () => {
    let health: PipelineHealth = { sources: { 'flir:AAAA': UP, px4: { ...UP, state: 'down' } }, targets: {} };
    const totals: CatalogTotals = { sources: {}, targets: {}, failures: [], databaseBytes: 4096 };
    const tree = supervisor('root', [child('source:px4', 1, supervisor('source:px4', [child('downloader', 2)]))]);
    const inputs: MetricsInputs = { totals: () => totals, status: () => ({ health, tree }), roundTrips: async () => new Map([['px4', 12]]), stagingDir: tmpdir() };
    const metrics = createAgentMetrics(inputs);
    const first = await series(metrics);
    expect(first.get('filesync_device_state{role="source",device="flir:AAAA",state="up"}')).toBe(1);
    expect(first.get('filesync_device_state{role="source",device="px4",state="down"}')).toBe(1);
    expect(first.get('filesync_actor_restarts_total{actor="source:px4"}')).toBe(1);
    expect(first.get('filesync_actor_restarts_total{actor="source:px4/downloader"}')).toBe(2);
    expect(first.get('filesync_link_round_trip_seconds{source="px4"}')).toBe(0.012);
    health = { sources: { px4: UP }, targets: {} };
    const second = await series(metrics);
    expect([...second.keys()].filter((k) => k.includes('flir'))).toEqual([]);
  });

  it('scrapes at the same time each get whole figures (the catalog is read once per scrape)', async () => {
    let reads = 0;
    const inputs: MetricsInputs = {
      totals: () => {
        reads++;
        return { sources: { px4: { delivered: { files: reads, bytes: 10 * reads, doneBytes: 10 * reads } } }, targets: {}, failures: [], databaseBytes: 1 };
      },
      status: () => ({ health: { sources: {}, targets: {} }, tree: undefined }),
      roundTrips: async () => new Map(),
      stagingDir: tmpdir(),
    };
    const metrics = createAgentMetrics(inputs);
    const [a, b] = await Promise.all([series(metrics), series(metrics)]);
    expect(reads).toBe(2);
    expect([a.get('filesync_source_files{source="px4",state="delivered"}'), a.get('filesync_source_bytes{source="px4",state="delivered"}')]).toEqual([1, 10]);
    expect([b.get('filesync_source_files{source="px4",state="delivered"}'), b.get('filesync_source_bytes{source="px4",state="delivered"}')]).toEqual([2, 20]);
  });
});
