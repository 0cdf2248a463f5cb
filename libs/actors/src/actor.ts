/** The worker-side surface, light enough to import from every actor module. */
export { deferReply, defineActor, defineChannel, isActorDefinition } from './define-actor';
export type {
  ActorContext,
  Channel,
  ActorDefinition,
  DeferredReply,
  AnyActorDefinition,
  ArgsOf,
  Handler,
  Handlers,
  MessagesOf,
  RepliesOf,
} from './define-actor';
export { guardMessage, isMessage, showMessage } from './messages';
export type { Message, MessageOf, Replies } from './messages';
export type { ActorRefLike, AskOptions } from './remote';
export { cancelByteStream, ChunkPool, type ReceiveOptions, receiveByteStream, sendByteStream, STREAM_WINDOW } from './byte-stream';
export type { SendOptions, SendOutcome } from './byte-stream';
export { logToParent } from './actor-log';
export type { ActorLogLine, LogLevel } from './actor-log';
