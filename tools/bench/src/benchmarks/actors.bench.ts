import { type ActorRef, connectActors, startActor } from '@filesync/actors';
import { defineBenchmark } from '../benchmark';
import { median, ms, percentile, ratePerSecond } from '../stats';
import type { EchoActor, EchoMessage, EchoReplies } from './actors/echo-actor';

const ECHO = new URL('./actors/echo-actor.ts', import.meta.url);
type Echo = ActorRef<EchoMessage, EchoReplies>;

const start = (id: string): Promise<Echo> => startActor<EchoActor>({ id, module: ECHO });

export default defineBenchmark({
  description: 'libs/actors: ask round trips (parent→actor and actor→actor), tell throughput, actor start and stop time',
  async run({ tiny, log }) {
    const asks = tiny ? 200 : 20_000;
    const tells = tiny ? 200 : 50_000;
    const starts = tiny ? 2 : 10;
    const inFlight = 64;

    log(`starting ${starts} actors one after the other`);
    const startMs: number[] = [];
    const stopMs: number[] = [];
    for (let i = 0; i < starts; i++) {
      const t0 = performance.now();
      const ref = await start(`bench:start-${i}`);
      startMs.push(performance.now() - t0);
      await ref.ask({ type: 'echo.ping', n: 0 });
      const t1 = performance.now();
      await ref.shutdown(5_000);
      stopMs.push(performance.now() - t1);
    }

    const [a, b] = await Promise.all([start('bench:a'), start('bench:b')]);
    try {
      for (let i = 0; i < Math.min(asks, 500); i++) await a.ask({ type: 'echo.ping', n: i }); // warm-up

      log(`${asks} sequential asks`);
      let t0 = performance.now();
      for (let i = 0; i < asks; i++) await a.ask({ type: 'echo.ping', n: i });
      const askSeqMs = performance.now() - t0;

      log(`${asks} asks, ${inFlight} in flight`);
      t0 = performance.now();
      for (let sent = 0; sent < asks; sent += inFlight) {
        const batch = Math.min(inFlight, asks - sent);
        await Promise.all(Array.from({ length: batch }, (_, i) => a.ask({ type: 'echo.ping', n: sent + i })));
      }
      const askParMs = performance.now() - t0;

      log(`${tells} tells, then one ask`);
      const totalBefore = await a.ask({ type: 'echo.total' });
      t0 = performance.now();
      for (let i = 0; i < tells; i++) a.tell({ type: 'echo.note', n: 1 });
      const totalAfter = await a.ask({ type: 'echo.total' }, { timeoutMs: 120_000 });
      const tellMs = performance.now() - t0;
      if (totalAfter - totalBefore !== tells) throw new Error(`lost tells: ${totalAfter - totalBefore} of ${tells}`);

      log(`${asks} actor-to-actor asks over a channel`);
      await connectActors(a, b, 'peer');
      await a.ask({ type: 'echo.peer-loop', peer: 'peer', count: Math.min(asks, 500) }); // warm-up
      const peerMs = await a.ask({ type: 'echo.peer-loop', peer: 'peer', count: asks }, { timeoutMs: 300_000 });

      return {
        askRoundTripsPerSec: ratePerSecond(asks, askSeqMs),
        askPipelinedPerSec: ratePerSecond(asks, askParMs),
        peerAskRoundTripsPerSec: ratePerSecond(asks, peerMs),
        tellsPerSec: ratePerSecond(tells, tellMs),
        actorStartMsFirst: ms(startMs[0] ?? Number.NaN),
        actorStartMsMedian: ms(median(startMs)),
        actorStartMsP95: ms(percentile(startMs, 95)),
        actorStopMsMedian: ms(median(stopMs)),
        asks,
        tells,
        starts,
      };
    } finally {
      await Promise.all([a.shutdown(5_000), b.shutdown(5_000)]);
    }
  },
});
