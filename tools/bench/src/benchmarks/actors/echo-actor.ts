import { type ActorDefinition, defineActor } from '@filesync/actors/actor';

/** The smallest useful actor: measures the messaging path, not the handler. */
export type EchoMessage =
  | { readonly type: 'echo.ping'; readonly n: number }
  | { readonly type: 'echo.note'; readonly n: number }
  | { readonly type: 'echo.total' }
  /** Asks peer `peer` `count` times in a row, from inside this thread; replies the elapsed ms. */
  | { readonly type: 'echo.peer-loop'; readonly peer: string; readonly count: number };

export interface EchoReplies {
  'echo.ping': number;
  'echo.note': void;
  'echo.total': number;
  'echo.peer-loop': number;
}

export type EchoActor = ActorDefinition<EchoMessage, EchoReplies, undefined>;

let total = 0;

const echoActor: EchoActor = defineActor<EchoMessage, EchoReplies>({
  handlers: {
    'echo.ping': (msg) => msg.n,
    'echo.note': (msg) => {
      total += msg.n;
    },
    'echo.total': () => total,
    'echo.peer-loop': async (msg, ctx) => {
      const peer = ctx.peer<EchoActor>(msg.peer);
      const t0 = performance.now();
      for (let i = 0; i < msg.count; i++) await peer.ask({ type: 'echo.ping', n: i });
      return performance.now() - t0;
    },
  },
});

export default echoActor;
