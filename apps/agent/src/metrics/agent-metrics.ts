import { statfs } from 'node:fs/promises';
import type { ChildSnapshot, SupervisorSnapshot } from '@filesync/actors';
import type { CatalogTotals, StateTotal } from '@filesync/store';
import type { AgentStatus } from '../agent';
import type { Counter, Gauge, Registry } from 'prom-client';
import { TransferRate } from './transfer-rate';

/** What the metrics read at each scrape: nothing is counted in between, so a scrape shows the catalog as it is. */
export interface MetricsInputs {
  /** The catalog's aggregates; undefined once the catalog is closed (the agent stopping). */
  totals(): CatalogTotals | undefined;
  status(): Pick<AgentStatus, 'health' | 'tree'>;
  /** Each source's link round-trip time in ms, where its device measures one (MAVFTP). */
  roundTrips(): Promise<ReadonlyMap<string, number>>;
  /** The staging directory, whose file system's free space is reported. */
  readonly stagingDir: string;
}

export interface AgentMetrics {
  readonly contentType: string;
  /** The Prometheus text exposition of every metric, read now. */
  render(): Promise<string>;
}

const HEALTH_STATES = ['up', 'degraded', 'down'] as const;

/** The target rows still to send: waiting, or partly sent. */
const QUEUED_TARGET_STATES = ['pending', 'uploading'] as const;
/** The files still to download: found, or partly staged. */
const QUEUED_FILE_STATES = ['found', 'downloading'] as const;

/** Totals per device (source or target) and state, as `CatalogTotals` holds them for either. */
type ByDevice = Readonly<Record<string, Readonly<Partial<Record<string, StateTotal>>>>>;

/** prom-client's `Registry.PROMETHEUS_CONTENT_TYPE` (agent-metrics.spec.ts checks it), known before prom-client is loaded. */
export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The agent's `/metrics`: one registry whose metrics are filled in their `collect` from the
 * catalog's totals (one read per scrape), the status snapshot (device health, the supervision tree)
 * and the staging file system. Names and meanings are listed in docs/operations.md.
 * prom-client is loaded at the first scrape: its load (about 0.1 s of CPU with its dependencies)
 * would otherwise come before the agent serves, and many agents are never scraped.
 */
export function createAgentMetrics(inputs: MetricsInputs): AgentMetrics {
  const downloadRate = new TransferRate();
  const uploadRate = new TransferRate();
  // One catalog read serves every metric of a scrape: render() takes the totals, each collect reads
  // them. Renders run one after another, so a second scrape cannot swap the totals under the first.
  const current: { scrape: CatalogTotals | undefined } = { scrape: undefined };
  let registry: Promise<Registry> | undefined;
  let rendering: Promise<unknown> = Promise.resolve();
  return {
    contentType: PROMETHEUS_TEXT,
    render() {
      const run = rendering.then(async () => {
        registry ??= registerMetrics(inputs, current, downloadRate, uploadRate);
        const metrics = await registry;
        current.scrape = inputs.totals();
        try {
          return await metrics.metrics();
        } finally {
          current.scrape = undefined;
        }
      });
      rendering = run.catch(() => undefined);
      return run;
    },
  };
}

async function registerMetrics(inputs: MetricsInputs, current: { readonly scrape: CatalogTotals | undefined }, downloadRate: TransferRate, uploadRate: TransferRate): Promise<Registry> {
  const prom = await import('prom-client');
  const registry = new prom.Registry();
  const registers = [registry];
  const stateGauge = (name: string, help: string, device: 'source' | 'target', pick: (t: StateTotal) => number, of: (t: CatalogTotals) => ByDevice): Gauge => {
    const gauge: Gauge = new prom.Gauge({
      name,
      help,
      labelNames: [device, 'state'],
      registers,
      collect() {
        gauge.reset();
        if (!current.scrape) return;
        for (const [id, states] of Object.entries(of(current.scrape))) {
          for (const [state, total] of Object.entries(states)) if (total) gauge.set({ [device]: id, state }, pick(total));
        }
      },
    });
    return gauge;
  };
  stateGauge('filesync_source_files', 'Files per source and file state, from the catalog.', 'source', (t) => t.files, (t) => t.sources);
  stateGauge('filesync_source_bytes', 'Bytes (file sizes) per source and file state, from the catalog.', 'source', (t) => t.bytes, (t) => t.sources);
  stateGauge('filesync_target_files', 'Files per target and per-target state, from the catalog.', 'target', (t) => t.files, (t) => t.targets);
  stateGauge('filesync_target_bytes', 'Bytes (file sizes) per target and per-target state, from the catalog.', 'target', (t) => t.bytes, (t) => t.targets);

  const sumOver = (states: Readonly<Partial<Record<string, StateTotal>>>, pick: (t: StateTotal) => number, only?: readonly string[]): number =>
    Object.entries(states).reduce((n, [state, t]) => (t && (only === undefined || only.includes(state)) ? n + pick(t) : n), 0);

  const pending: Gauge = new prom.Gauge({
    name: 'filesync_target_pending_bytes',
    help: 'Bytes still to send to a target (files pending or partly uploaded, less the bytes it confirmed).',
    labelNames: ['target'],
    registers,
    collect() {
      pending.reset();
      for (const [id, states] of Object.entries(current.scrape?.targets ?? {})) pending.set({ target: id }, sumOver(states, (t) => t.bytes - t.doneBytes, QUEUED_TARGET_STATES));
    },
  });
  const queue: Gauge = new prom.Gauge({
    name: 'filesync_queue_files',
    help: 'Files waiting or in progress: stage="download" per source (found, downloading), stage="upload" per target (pending, uploading).',
    labelNames: ['stage', 'device'],
    registers,
    collect() {
      queue.reset();
      for (const [id, states] of Object.entries(current.scrape?.sources ?? {})) queue.set({ stage: 'download', device: id }, sumOver(states, (t) => t.files, QUEUED_FILE_STATES));
      for (const [id, states] of Object.entries(current.scrape?.targets ?? {})) queue.set({ stage: 'upload', device: id }, sumOver(states, (t) => t.files, QUEUED_TARGET_STATES));
    },
  });
  const transferred: Gauge = new prom.Gauge({
    name: 'filesync_transferred_bytes',
    help: 'Bytes moved so far by files the catalog holds: durably staged per source (direction="download"), confirmed by each target (direction="upload").',
    labelNames: ['direction', 'device'],
    registers,
    collect() {
      transferred.reset();
      for (const [direction, byDevice] of transferredByDevice(current.scrape)) for (const [device, bytes] of byDevice) transferred.set({ direction, device }, bytes);
    },
  });
  const rate: Gauge = new prom.Gauge({
    name: 'filesync_transfer_rate_bytes_per_second',
    help: 'Transfer rate over the last minute (or since the previous scrape, when scrapes are further apart), per direction and device.',
    labelNames: ['direction', 'device'],
    registers,
    collect() {
      rate.reset();
      const [downloads, uploads] = transferredByDevice(current.scrape);
      for (const [device, r] of downloadRate.sample(downloads[1])) rate.set({ direction: 'download', device }, r);
      for (const [device, r] of uploadRate.sample(uploads[1])) rate.set({ direction: 'upload', device }, r);
    },
  });
  const failures: Counter = new prom.Counter({
    name: 'filesync_failures_total',
    help: 'Times a file was marked failed (stage="download" per source, "upload" per target), by the error code recorded; "unknown" for failures recorded before codes were.',
    labelNames: ['stage', 'device', 'code'],
    registers,
    collect() {
      // The count lives in the catalog's history; the counter mirrors it.
      failures.reset();
      for (const f of current.scrape?.failures ?? []) failures.inc({ stage: f.stage, device: f.device, code: f.code }, f.count);
    },
  });
  const catalogFiles: Gauge = new prom.Gauge({
    name: 'filesync_catalog_files',
    help: 'File versions the catalog holds, in every state.',
    registers,
    collect() {
      catalogFiles.reset();
      if (current.scrape) catalogFiles.set(Object.values(current.scrape.sources).reduce((n, states) => n + sumOver(states, (t) => t.files), 0));
    },
  });
  const catalogBytes: Gauge = new prom.Gauge({
    name: 'filesync_catalog_bytes',
    help: 'Size of the catalog database file (without its WAL).',
    registers,
    collect() {
      catalogBytes.reset();
      if (current.scrape) catalogBytes.set(current.scrape.databaseBytes);
    },
  });

  const device: Gauge = new prom.Gauge({
    name: 'filesync_device_state',
    help: 'Device health, one series per state: 1 for the state the device is in (up, degraded, down), 0 for the others.',
    labelNames: ['role', 'device', 'state'],
    registers,
    collect() {
      // Reset first: a drive's volume that was pulled leaves the status, and must leave the metrics too.
      device.reset();
      const { health } = inputs.status();
      for (const [role, devices] of [['source', health.sources], ['target', health.targets]] as const) {
        for (const [id, h] of Object.entries(devices)) for (const state of HEALTH_STATES) device.set({ role, device: id, state }, h.state === state ? 1 : 0);
      }
    },
  });
  const restarts: Counter = new prom.Counter({
    name: 'filesync_actor_restarts_total',
    help: 'Restarts of each supervised actor (worker or supervisor) under its supervisor, named by its path in the tree (source:px4/downloader).',
    labelNames: ['actor'],
    registers,
    collect() {
      restarts.reset();
      const tree = inputs.status().tree;
      if (tree) for (const [actor, n] of restartsByPath(tree, '')) restarts.inc({ actor }, n);
    },
  });
  const roundTrip: Gauge = new prom.Gauge({
    name: 'filesync_link_round_trip_seconds',
    help: 'Smoothed round-trip time of a source link that measures one (MAVFTP: its requests to the autopilot), per source; absent before the first request.',
    labelNames: ['source'],
    registers,
    async collect() {
      roundTrip.reset();
      for (const [source, ms] of await inputs.roundTrips()) roundTrip.set({ source }, ms / 1000);
    },
  });
  const stagingFree: Gauge = new prom.Gauge({
    name: 'filesync_staging_free_bytes',
    help: 'Free bytes (available to the agent) on the file system of the staging directory.',
    registers,
    async collect() {
      stagingFree.reset();
      const fs = await statfs(inputs.stagingDir).catch(() => undefined);
      if (fs) stagingFree.set(fs.bavail * fs.bsize);
    },
  });

  return registry;
}

/** Bytes moved per device, [download by source, upload by target]. */
function transferredByDevice(totals: CatalogTotals | undefined): [['download', Map<string, number>], ['upload', Map<string, number>]] {
  const sum = (byDevice: ByDevice): Map<string, number> =>
    new Map(Object.entries(byDevice).map(([id, states]): [string, number] => [id, Object.values(states).reduce((n: number, t) => n + (t?.doneBytes ?? 0), 0)]));
  return [
    ['download', sum(totals?.sources ?? {})],
    ['upload', sum(totals?.targets ?? {})],
  ];
}

function restartsByPath(tree: SupervisorSnapshot, prefix: string): [string, number][] {
  return tree.children.flatMap((c: ChildSnapshot): [string, number][] => [
    [`${prefix}${c.id}`, c.restarts],
    ...(c.supervisor ? restartsByPath(c.supervisor, `${prefix}${c.id}/`) : []),
  ]);
}
