import { TransientError } from '@filesync/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type ActorRef, startActor } from './actor-ref';
import { connectActors } from './channels';
import { type ActorDefinition, defineChannel } from './define-actor';
import type { ProbeActor, ProbeMessage, ProbeReplies } from './fixtures/probe-actor';
import { EventLog, FAST_BACKOFF, PROBE, TEST_TIMINGS } from './fixtures/tree-helpers';
import { startSupervisor, type Supervisor } from './supervisor';

const refs: ActorRef<ProbeMessage, ProbeReplies>[] = [];
const trees: Supervisor[] = [];
afterEach(async () => {
  await Promise.all([...refs.splice(0).map((r) => r.kill()), ...trees.splice(0).map((t) => t.shutdown(2_000))]);
});

async function probe(id: string) {
  const ref = await startActor<ProbeActor>({ id, module: PROBE, ...TEST_TIMINGS });
  refs.push(ref);
  return ref;
}

const pingVia = (peer: string): ProbeMessage => ({ type: 'probe.ask-peer', peer, msg: { type: 'probe.ping' } });

/** The channel name and the type of the actor serving it, declared once. */
const DEVICE = defineChannel<ProbeActor>('device');
type OtherActor = ActorDefinition<{ readonly type: 'other.x' }, { 'other.x': number }, undefined>;

describe('actor-to-actor channels', () => {
  it('lets one actor ask another directly, thread to thread', async () => {
    const [device, downloader] = await Promise.all([probe('link'), probe('downloader')]);
    await connectActors(downloader, device, DEVICE);
    // @ts-expect-error a channel typed for another actor does not accept this server
    void (() => connectActors(downloader, device, defineChannel<OtherActor>('other')));
    const reply = (await downloader.ask(pingVia('device'))) as ProbeReplies['probe.ping'];
    expect(reply).toEqual({ id: 'link', threadId: device.threadId, arg: undefined });
  });

  it('makes an ask to a dead peer fail with disconnected, and crashes the asker when nobody catches it', async () => {
    const [device, downloader] = await Promise.all([probe('link'), probe('downloader')]);
    await connectActors(downloader, device, 'device');
    await device.kill();

    const err = await downloader.ask(pingVia('device')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err).toMatchObject({ code: 'disconnected', detail: { deadActor: 'device' } });

    downloader.tell(pingVia('device'));
    expect(await downloader.exited).toMatchObject({ kind: 'error', error: { code: 'disconnected', detail: { deadActor: 'device' } } });
  });

  it('hands out channels from child specs and re-hands them when the server restarts (one_for_one)', async () => {
    const sup = await startSupervisor(
      {
        id: 'source:px4',
        backoff: FAST_BACKOFF,
        children: [
          { id: 'link', actor: { module: PROBE } },
          { id: 'downloader', actor: { module: PROBE, peers: { device: 'link' } } },
        ],
      },
      { actorDefaults: TEST_TIMINGS },
    );
    trees.push(sup);
    const log = new EventLog(sup);
    const ask = async () => (await sup.actor<ProbeActor>('downloader')?.ask(pingVia('device'))) as ProbeReplies['probe.ping'];
    const first = await ask();
    expect(first.threadId).toBe(sup.snapshot().children[0]?.threadId);

    sup.actor<ProbeActor>('link')?.tell({ type: 'probe.crash', how: 'exit-3' });
    await log.waitFor((e) => e.type === 'sup.child-restarted' && e.child === 'link');
    const second = await ask();
    expect(second.threadId).not.toBe(first.threadId);
    expect(second.threadId).toBe(sup.snapshot().children[0]?.threadId);
    // The downloader itself was not restarted: only its channel was replaced.
    expect(log.steps(0)).toEqual(['crashed link', 'restarted link']);
  });
});
