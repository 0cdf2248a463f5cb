// Worker side: what an actor module uses (also importable alone from '@filesync/actors/actor').
export * from './actor';

// Parent side: actors.
export { ActorRef, startActor } from './actor-ref';
export type { StartActorOptions } from './actor-ref';
export { connectActors } from './channels';
export { deadActorError } from './remote';
export { liveWorkerCount } from './worker-registry';

// Supervision.
export { RESTART_TYPES, STRATEGIES, normalizeSupervisor } from './child-spec';
export type {
  ActorChildSpec,
  ActorResourceLimits,
  ActorStart,
  ChildSpec,
  CustomChildSpec,
  RestartType,
  StartContext,
  Strategy,
  SupervisorChildSpec,
  SupervisorSpec,
} from './child-spec';
export { startSupervisor, Supervisor } from './supervisor';
export type { ActorTimings, SupervisorOptions } from './supervisor';
export type {
  ChildSnapshot,
  ChildState,
  SupervisionEvent,
  SupervisionEventType,
  SupervisionListener,
  SupervisorSnapshot,
  SupervisorState,
} from './supervision-events';
export { describeExit, isCleanExit } from './exit-reason';
export type { ExitKind, ExitReason } from './exit-reason';
export type { ShutdownTimeout, Supervised } from './supervised';
export { ACTOR_DEFAULTS, CHILD_DEFAULTS, SUPERVISOR_DEFAULTS } from './defaults';

