import type { RestartType, Strategy } from './child-spec';
import type { ExitReason } from './exit-reason';

interface EventBase {
  /** The supervisor that emits it, root first (`['root', 'source:px4']`). */
  readonly path: readonly string[];
  /** Wall-clock time from the injected clock. */
  readonly at: number;
}

/** The supervision stream the status page and the log show. Namespaced like every system message. */
export type SupervisionEvent =
  | (EventBase & { readonly type: 'sup.child-started'; readonly child: string })
  | (EventBase & { readonly type: 'sup.child-crashed'; readonly child: string; readonly reason: ExitReason })
  | (EventBase & { readonly type: 'sup.child-restarted'; readonly child: string; readonly restarts: number; readonly delayMs: number })
  | (EventBase & { readonly type: 'sup.child-stopped'; readonly child: string; readonly reason: ExitReason })
  | (EventBase & {
      readonly type: 'sup.gave-up';
      readonly restarts: number;
      readonly periodMs: number;
      readonly reason: ExitReason;
    })
  | (EventBase & { readonly type: 'sup.stopped' });

export type SupervisionEventType = SupervisionEvent['type'];
export type SupervisionListener = (event: SupervisionEvent) => void;

export type ChildState = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';
export type SupervisorState = 'starting' | 'running' | 'stopping' | 'stopped' | 'gave-up';

export interface ChildSnapshot {
  readonly id: string;
  readonly kind: 'worker' | 'supervisor';
  readonly restart: RestartType;
  readonly state: ChildState;
  /** Since its current instance started; `undefined` unless running. */
  readonly uptimeMs: number | undefined;
  /** Restarts over the child's lifetime under this supervisor. */
  readonly restarts: number;
  readonly lastExit: ExitReason | undefined;
  /** The worker's thread id while a worker child runs. */
  readonly threadId: number | undefined;
  /** The nested tree while a supervisor child runs. */
  readonly supervisor: SupervisorSnapshot | undefined;
}

export interface SupervisorSnapshot {
  readonly id: string;
  readonly path: readonly string[];
  readonly strategy: Strategy;
  readonly state: SupervisorState;
  readonly intensity: number;
  readonly periodMs: number;
  readonly restartsInWindow: number;
  readonly children: readonly ChildSnapshot[];
}
