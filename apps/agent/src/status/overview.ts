/**
 * What the status API sends and the page renders: plain JSON, with no imports, so the browser bundle
 * and the server share one contract without pulling Node types into the page.
 */

export type DeviceState = 'up' | 'degraded' | 'down';

export interface DeviceView {
  readonly role: 'source' | 'target';
  /** Catalog id: a flash drive's volume shows as `flir:28EC-DB59`. */
  readonly id: string;
  readonly state: DeviceState;
  /** Why it is not up, in words (absent while up). */
  readonly cause?: { readonly code: string; readonly message: string };
  /** Wall-clock ms of the last change of state. */
  readonly since: number;
}

export interface RouteView {
  /** `source~target1,target2` (see routeIds). */
  readonly id: string;
  readonly source: string;
  readonly targets: readonly string[];
  readonly policy: 'copy' | 'move';
  readonly paused: boolean;
}

export interface TransferView {
  readonly fileId: string;
  readonly sourceId: string;
  readonly path: string;
  /** `download` from the source into staging, or `upload` to `targetId`. */
  readonly direction: 'download' | 'upload';
  readonly targetId?: string;
  readonly size: number;
  /** Durable bytes so far. */
  readonly bytes: number;
  /** Bytes per second over the last few seconds; absent until two samples exist. */
  readonly rate?: number;
  /** Seconds left at that rate; absent without a rate. */
  readonly etaSec?: number;
}

/** One point of the throughput sparkline: bytes per second in (downloads) and out (uploads). */
export interface ThroughputPoint {
  readonly at: number;
  readonly down: number;
  readonly up: number;
}

export interface TreeNodeView {
  readonly id: string;
  readonly state: string;
  readonly restarts: number;
  readonly uptimeMs?: number;
  /** `rest_for_one` etc. for a supervisor. */
  readonly strategy?: string;
  readonly children?: readonly TreeNodeView[];
}

export interface Overview {
  /** Wall-clock ms this was taken. */
  readonly at: number;
  readonly devices: readonly DeviceView[];
  readonly routes: readonly RouteView[];
  readonly transfers: readonly TransferView[];
  /** In-flight transfers beyond those listed (the list is capped). */
  readonly moreTransfers: number;
  readonly throughput: readonly ThroughputPoint[];
  /** Files per state, all sources together. */
  readonly files: Readonly<Record<string, number>>;
  /** Files failed themselves or on a target. */
  readonly problems: number;
  readonly delivered: number;
  /** Changes whenever the catalog records a change of state: the page reloads its lists then. */
  readonly version: number;
  readonly tree: TreeNodeView | undefined;
  readonly repair: { readonly reason: string; readonly action: string } | undefined;
}

export interface FileTargetView {
  readonly targetId: string;
  readonly state: string;
  readonly offset: number;
  /** What the target returned on commit: a Flight Review URL, a remote path. */
  readonly receipt: string | null;
  /** Where the file lands on that target (from the route's targetPath). */
  readonly targetPath: string;
  readonly reason: string | null;
  readonly attempts: number;
}

export interface FileView {
  readonly fileId: string;
  readonly sourceId: string;
  readonly path: string;
  readonly size: number;
  readonly state: string;
  readonly downloadOffset: number;
  readonly reason: string | null;
  readonly attempts: number;
  readonly updatedAt: number;
  readonly targets: readonly FileTargetView[];
}

export interface DeliveryView {
  readonly fileId: string;
  readonly sourceId: string;
  readonly path: string;
  readonly size: number;
  readonly targetId: string;
  readonly receipt: string | null;
  readonly targetPath: string;
  readonly at: number;
}

export interface PageView<T> {
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly items: readonly T[];
}
