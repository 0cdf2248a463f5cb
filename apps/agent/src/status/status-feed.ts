import { type Clock, configIdOfSource, systemClock } from '@filesync/core';
import type { Config } from '@filesync/core/config';
import { type PipelineHealth, type PipelineSignal, type Routing, buildRouting, routeIds } from '@filesync/pipeline';
import type { Catalog, FilePageQuery, FileRecord, TargetRecord } from '@filesync/store';
import type { AgentStatus } from '../agent';
import type { DeliveryView, DeviceView, FileView, Overview, PageView, RouteView, TransferView } from './overview';
import { ProgressSampler, etaSeconds } from './progress-sampler';
import { treeView } from './tree-view';

/** How often progress is sampled and the overview pushed to the page. */
export const FEED_TICK_MS = 1_000;
/** Transfers listed in one overview; the rest are only counted (a phone cannot show 500 bars anyway). */
const MAX_TRANSFERS = 30;

/** What the status API reads and acts on, in the agent's own process. */
export interface StatusSources {
  readonly catalog: Catalog;
  readonly config: Pick<Config, 'routes'>;
  readonly status: () => Pick<AgentStatus, 'counts' | 'health' | 'tree' | 'repair'>;
  /** Hints to the workers that something is ready now (a retried file, a resumed route). */
  readonly wake: (signal: PipelineSignal) => void;
  /** Called when the feed stops (closes what `wake` posts on). */
  readonly close?: () => void;
  readonly clock?: Clock;
}

/**
 * The live overview of the agent: samples progress once a tick (rates come from those samples) and
 * hands each new overview to its listeners (the server-sent event streams). Also the one place that
 * turns catalog rows into the API's views, so the page and the API never disagree.
 */
export class StatusFeed {
  readonly routing: Routing;
  readonly routes: readonly RouteView[];
  private readonly sampler: ProgressSampler;
  /** Each listener, with what ends it when the feed stops. */
  private readonly listeners = new Map<(overview: Overview) => void, () => void>();
  private readonly clock: Clock;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sources: StatusSources) {
    this.clock = sources.clock ?? systemClock;
    this.sampler = new ProgressSampler(this.clock);
    this.routing = buildRouting(sources.config.routes);
    const ids = routeIds(sources.config.routes);
    this.routes = sources.config.routes.map((r, i) => ({ id: ids[i] ?? '', source: r.source, targets: r.targets, policy: r.policy, paused: false }));
  }

  get catalog(): Catalog {
    return this.sources.catalog;
  }

  start(): void {
    if (this.timer) return;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), FEED_TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const ended of [...this.listeners.values()]) ended();
    this.listeners.clear();
    this.sources.close?.();
  }

  /** The overview now, with the rates of the last samples (a request does not add a sample: it would skew the sparkline's steps). */
  current(): Overview {
    return this.take(false);
  }

  /** Every overview from now on, and `ended` when the feed stops; returns unsubscribe. */
  subscribe(listener: (overview: Overview) => void, ended: () => void = () => undefined): () => void {
    this.listeners.set(listener, ended);
    return () => this.listeners.delete(listener);
  }

  /**
   * Takes a sample and, when a page listens, an overview, and tells the listeners (each tick, and
   * after an action). With nobody listening only the progress sample is taken: the overview's counts
   * read every row of the catalog, a second's CPU in six at 20,000 files, for nobody.
   */
  refresh(): void {
    // The catalog closes when the agent stops, before this feed's timer may have been cleared.
    if (!this.sources.catalog.isOpen) return;
    if (this.listeners.size === 0) {
      this.sample(this.sources.catalog.listFiles({ state: 'downloading' }), this.sources.catalog.views.uploading(MAX_TRANSFERS * 4));
      return;
    }
    const overview = this.take(true);
    for (const listener of this.listeners.keys()) listener(overview);
  }

  /** One progress sample: what each transfer has moved, and the bytes moved in all (for the rates). */
  private sample(downloading: readonly FileRecord[], uploading: readonly TargetRecord[]): void {
    // Transfer keys: `d:FILE` for a download, `u:FILE:TARGET` for an upload.
    const offsets = new Map<string, number>();
    for (const f of downloading) offsets.set(`d:${f.fileId}`, f.downloadOffset);
    for (const t of uploading) offsets.set(`u:${t.fileId}:${t.targetId}`, t.offset);
    this.sampler.sample(offsets, this.sources.catalog.views.movedBytes());
  }

  wake(signal: PipelineSignal): void {
    this.sources.wake(signal);
  }

  fileView(file: FileRecord, targets: readonly TargetRecord[] = this.sources.catalog.targetsOf(file.fileId)): FileView {
    return {
      fileId: file.fileId,
      sourceId: file.sourceId,
      path: file.path,
      size: file.size,
      state: file.state,
      downloadOffset: file.downloadOffset,
      reason: file.reason,
      attempts: file.attempts,
      updatedAt: file.updatedAt,
      targets: targets.map((t) => ({
        targetId: t.targetId,
        state: t.state,
        offset: t.offset,
        receipt: t.receipt,
        targetPath: this.routing.targetPath(file, t.targetId),
        reason: t.reason,
        attempts: t.attempts,
      })),
    };
  }

  /** One page of files (newest change first) as the API and the page show them. */
  filesPage(query: FilePageQuery): PageView<FileView> {
    const page = this.sources.catalog.views.files(query);
    return { total: page.total, offset: query.offset, limit: query.limit, items: page.rows.map((f) => this.fileView(f)) };
  }

  /** One page of confirmed copies, newest first. */
  deliveriesPage(query: Omit<FilePageQuery, 'state'>): PageView<DeliveryView> {
    const page = this.sources.catalog.views.deliveries(query);
    return { total: page.total, offset: query.offset, limit: query.limit, items: page.rows.map((d) => this.deliveryView(d.file, d.target)) };
  }

  deliveryView(file: FileRecord, target: TargetRecord): DeliveryView {
    return {
      fileId: file.fileId,
      sourceId: file.sourceId,
      path: file.path,
      size: file.size,
      targetId: target.targetId,
      receipt: target.receipt,
      targetPath: this.routing.targetPath(file, target.targetId),
      at: target.updatedAt,
    };
  }

  private take(sample: boolean): Overview {
    const { catalog } = this.sources;
    const status = this.sources.status();
    const downloading = catalog.listFiles({ state: 'downloading' });
    const uploading = catalog.views.uploading(MAX_TRANSFERS * 4);
    const files = new Map<string, FileRecord | undefined>(downloading.map((f) => [f.fileId, f]));
    const fileOf = (id: string): FileRecord | undefined => {
      if (!files.has(id)) files.set(id, catalog.getFile(id));
      return files.get(id);
    };
    if (sample) this.sample(downloading, uploading);

    const transfer = (key: string, file: FileRecord, bytes: number, target?: string): TransferView => {
      const rate = this.sampler.rateOf(key);
      const eta = etaSeconds(file.size - bytes, rate);
      return {
        fileId: file.fileId,
        sourceId: file.sourceId,
        path: file.path,
        direction: target === undefined ? 'download' : 'upload',
        ...(target === undefined ? {} : { targetId: target }),
        size: file.size,
        bytes,
        ...(rate === undefined ? {} : { rate: Math.round(rate) }),
        ...(eta === undefined ? {} : { etaSec: eta }),
      };
    };
    const transfers: TransferView[] = [];
    for (const f of downloading) transfers.push(transfer(`d:${f.fileId}`, f, f.downloadOffset));
    for (const t of uploading) {
      const file = fileOf(t.fileId);
      if (file) transfers.push(transfer(`u:${t.fileId}:${t.targetId}`, file, t.offset, t.targetId));
    }
    const paused = new Set(catalog.pausedRoutes());
    const overview: Overview = {
      at: this.clock.now(),
      devices: devicesOf(status.health),
      routes: this.routes.map((r) => ({ ...r, paused: paused.has(r.id) })),
      transfers: transfers.slice(0, MAX_TRANSFERS),
      moreTransfers: Math.max(0, transfers.length - MAX_TRANSFERS),
      throughput: this.sampler.throughput(),
      files: status.counts.files,
      problems: catalog.views.files({ state: 'problems', offset: 0, limit: 0 }).total,
      delivered: catalog.views.deliveries({ offset: 0, limit: 0 }).total,
      version: catalog.history(undefined, { limit: 1 })[0]?.id ?? 0,
      tree: status.tree ? treeView(status.tree) : undefined,
      repair: status.repair ? { reason: status.repair.reason, action: status.repair.action } : undefined,
    };
    return overview;
  }
}

function devicesOf(health: PipelineHealth): DeviceView[] {
  const view = (role: 'source' | 'target', [id, h]: [string, PipelineHealth['sources'][string]]): DeviceView => ({
    role,
    id,
    state: h.state,
    ...(h.cause ? { cause: { code: h.cause.code, message: h.cause.message } } : {}),
    since: h.since,
  });
  const byId = (a: DeviceView, b: DeviceView): number => a.id.localeCompare(b.id);
  return [
    ...Object.entries(health.sources).map((e) => view('source', e)).sort(byId),
    ...Object.entries(health.targets).map((e) => view('target', e)).sort(byId),
  ];
}

/** The config id of a file's source (what the signal bus names). */
export const configIdOf = (file: Pick<FileRecord, 'sourceId'>): string => configIdOfSource(file.sourceId);
