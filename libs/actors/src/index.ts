export * from './actor';
export { startActor, ActorRef } from './actor-ref';
export type { StartActorOptions } from './actor-ref';
export { ACTOR_DEFAULTS, CHILD_DEFAULTS, SUPERVISOR_DEFAULTS } from './defaults';
export { describeExit, isCleanExit } from './exit-reason';
export type { ExitKind, ExitReason } from './exit-reason';
export { deadActorError } from './remote';
export type { ShutdownTimeout, Supervised } from './supervised';
export { liveWorkerCount } from './worker-registry';
