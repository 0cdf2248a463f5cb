import { MessageChannel } from 'node:worker_threads';
import type { ActorRef } from './actor-ref';
import type { AnyActorDefinition, Channel, MessagesOf, RepliesOf } from './define-actor';
import type { Message } from './messages';

// `any` widens the reply maps: any actor can be a client.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRef = ActorRef<Message, any>;

/**
 * Hands out a direct channel: `client` reaches `server` as `ctx.peer(name)`, thread to thread,
 * without passing through the parent (a downloader talks to its device actor). A second call
 * with the same name replaces the client's channel, e.g. after the server restarted.
 */
export async function connectActors<D extends AnyActorDefinition>(
  client: AnyRef,
  server: ActorRef<MessagesOf<D>, RepliesOf<D>>,
  channel: Channel<D> | string,
): Promise<void> {
  const { port1, port2 } = new MessageChannel();
  await server.servePort(port1);
  await client.connectPort(typeof channel === 'string' ? channel : channel.name, port2);
}
