import { PermanentError } from '@filesync/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildSpec, SupervisorSpec } from './child-spec';
import type { ProbeActor } from './fixtures/probe-actor';
import { EventLog, eventually, FAST_BACKOFF, osThreadCount, PROBE, TEST_TIMINGS } from './fixtures/tree-helpers';
import type { SupervisionEvent } from './supervision-events';
import { startSupervisor, type Supervisor } from './supervisor';
import { liveWorkerCount } from './worker-registry';

const trees: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.shutdown(2_000)));
});

async function start(spec: SupervisorSpec): Promise<{ sup: Supervisor; log: EventLog }> {
  const sup = await startSupervisor(spec, { actorDefaults: TEST_TIMINGS });
  trees.push(sup);
  return { sup, log: new EventLog(sup) };
}

const probe = (id: string, extra: Partial<ChildSpec> & { args?: object } = {}): ChildSpec => {
  const { args, ...rest } = extra;
  return { id, actor: { module: PROBE, ...(args ? { args } : {}) }, ...rest } as ChildSpec;
};

describe('restart types', () => {
  it('does not restart a transient child that exits normally, but does after a crash; never a temporary one', async () => {
    const { sup, log } = await start({
      id: 'root',
      backoff: FAST_BACKOFF,
      children: [probe('t1', { restart: 'transient' }), probe('t2', { restart: 'transient' }), probe('tmp', { restart: 'temporary' })],
    });
    let mark = log.mark();
    sup.actor<ProbeActor>('t1')?.tell({ type: 'probe.exit-normally' });
    await log.waitFor((e) => e.type === 'sup.child-stopped' && e.child === 't1', mark);

    sup.actor<ProbeActor>('t2')?.tell({ type: 'probe.crash', how: 'exit-3' });
    await log.waitFor((e) => e.type === 'sup.child-restarted' && e.child === 't2', mark);

    sup.actor<ProbeActor>('tmp')?.tell({ type: 'probe.crash', how: 'throw' });
    await log.waitFor((e) => e.type === 'sup.child-crashed' && e.child === 'tmp', mark);
    // Give a wrong restart every chance to happen before looking.
    mark = log.mark();
    await new Promise((r) => setTimeout(r, 300));
    expect(log.steps(mark)).toEqual([]);

    expect(log.steps(0)).toEqual(['stopped t1', 'crashed t2', 'restarted t2', 'crashed tmp']);
    const snap = sup.snapshot();
    expect(snap.children.map((c) => [c.id, c.state, c.restarts])).toEqual([
      ['t1', 'stopped', 0],
      ['t2', 'running', 1],
    ]);
    expect(snap.children[0]?.lastExit).toEqual({ kind: 'normal' });
    expect(liveWorkerCount()).toBe(1);
  });
});

describe('restart intensity', () => {
  it('gives up on a child that crashes in a loop and escalates to its parent, which gives up too', async () => {
    const root = await startSupervisor(
      {
        id: 'root',
        intensity: 1,
        periodMs: 60_000,
        backoff: FAST_BACKOFF,
        children: [
          probe('steady'),
          {
            id: 'source:px4',
            supervisor: {
              id: 'source:px4',
              strategy: 'rest_for_one',
              intensity: 2,
              periodMs: 60_000,
              backoff: FAST_BACKOFF,
              children: [probe('link', { args: { crashAfterMs: 30 } })],
            },
          },
        ],
      },
      { actorDefaults: TEST_TIMINGS },
    );
    trees.push(root);
    const events: SupervisionEvent[] = [];
    root.onEvent((e) => events.push(e));

    const reason = await root.exited;
    expect(reason).toMatchObject({ kind: 'gave-up', supervisor: 'root', restarts: 2, last: { kind: 'gave-up', supervisor: 'root/source:px4' } });

    const gaveUp = events.filter((e) => e.type === 'sup.gave-up');
    // The nested supervisor gave up twice (its first life and the one its parent restarted), then the root.
    expect(gaveUp.map((e) => e.path.join('/'))).toEqual(['root/source:px4', 'root/source:px4', 'root']);
    const linkCrashes = events.filter((e) => e.type === 'sup.child-crashed' && e.child === 'link');
    expect(linkCrashes).toHaveLength(6); // 1 + 2 restarts, per each of the two lives
    const escalations = events.filter((e) => e.type === 'sup.child-crashed' && e.child === 'source:px4');
    expect(escalations.map((e) => e.type === 'sup.child-crashed' && e.reason.kind)).toEqual(['gave-up', 'gave-up']);
    // Giving up stops the rest of the tree too.
    expect(events.some((e) => e.type === 'sup.child-stopped' && e.child === 'steady')).toBe(true);
    expect(root.snapshot().state).toBe('gave-up');
    expect(await eventually(() => liveWorkerCount() === 0)).toBe(true);
  });
});

describe('shutdown', () => {
  it('stops a tree of 11 actors under 3 nested supervisors right to left, kills the one that ignores the stop message, and leaves no thread', async () => {
    const threadsBefore = osThreadCount();
    const group = (id: string, n: number, extra: (i: number) => Partial<ChildSpec> & { args?: object } = () => ({})): ChildSpec => ({
      id,
      supervisor: { id, strategy: 'rest_for_one', children: Array.from({ length: n }, (_, i) => probe(`${id}:${i}`, extra(i))) },
    });
    const started: string[] = [];
    const sup = await startSupervisor(
      {
        id: 'root',
        children: [
          probe('store'),
          group('source:px4', 3),
          group('source:flir', 3, (i) => (i === 1 ? { args: { ignoreStop: true }, shutdown: 200 } : {})),
          group('target:ftp', 2),
          probe('cleaner'),
          probe('status'),
        ],
      },
      { actorDefaults: TEST_TIMINGS, onEvent: (e) => e.type === 'sup.child-started' && started.push(e.child) },
    );
    trees.push(sup);
    const log = new EventLog(sup);
    // Children start left to right, a nested supervisor's own children before it counts as started.
    expect(started).toEqual([
      'store',
      'source:px4:0',
      'source:px4:1',
      'source:px4:2',
      'source:px4',
      'source:flir:0',
      'source:flir:1',
      'source:flir:2',
      'source:flir',
      'target:ftp:0',
      'target:ftp:1',
      'target:ftp',
      'cleaner',
      'status',
    ]);
    expect(liveWorkerCount()).toBe(11);
    expect(osThreadCount()).toBeGreaterThanOrEqual(threadsBefore + 11);

    const mark = log.mark();
    expect(await sup.stop()).toEqual({ kind: 'shutdown', forced: false });
    const stops = log.since(mark).filter((e) => e.type === 'sup.child-stopped');
    expect(stops.map((e) => (e.type === 'sup.child-stopped' ? e.child : ''))).toEqual([
      'status',
      'cleaner',
      'target:ftp:1',
      'target:ftp:0',
      'target:ftp',
      'source:flir:2',
      'source:flir:1',
      'source:flir:0',
      'source:flir',
      'source:px4:2',
      'source:px4:1',
      'source:px4:0',
      'source:px4',
      'store',
    ]);
    const stubborn = stops.find((e) => e.type === 'sup.child-stopped' && e.child === 'source:flir:1');
    expect(stubborn?.type === 'sup.child-stopped' && stubborn.reason).toEqual({ kind: 'shutdown', forced: true });
    expect(log.since(mark).at(-1)).toMatchObject({ type: 'sup.stopped', path: ['root'] });

    expect(liveWorkerCount()).toBe(0);
    // The OS agrees: every worker thread has been joined.
    expect(await eventually(() => osThreadCount() <= threadsBefore)).toBe(true);
  });

  it("kills a nested supervisor's children when its own shutdown timeout passes", async () => {
    const { sup, log } = await start({
      id: 'root',
      children: [
        {
          id: 'target:ftp',
          shutdown: 300,
          supervisor: { id: 'target:ftp', children: [probe('uploader', { args: { ignoreStop: true }, shutdown: 'infinity' })] },
        },
      ],
    });
    expect(await sup.stop()).toEqual({ kind: 'shutdown', forced: false });
    const stops = log.events.filter((e) => e.type === 'sup.child-stopped');
    expect(stops.map((e) => e.type === 'sup.child-stopped' && [e.child, e.reason])).toEqual([
      ['uploader', { kind: 'shutdown', forced: true }],
      ['target:ftp', { kind: 'shutdown', forced: true }],
    ]);
    expect(liveWorkerCount()).toBe(0);
  });

  it('starts children left to right and, when one fails to start, stops the started ones and rejects naming it', async () => {
    const events: SupervisionEvent[] = [];
    const err = await startSupervisor(
      {
        id: 'root',
        children: [probe('first'), probe('second'), probe('broken', { args: { failInit: true } }), probe('never')],
      },
      { actorDefaults: TEST_TIMINGS, onEvent: (e) => events.push(e) },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'transient', code: 'device-gone' });
    expect((err as Error).message).toMatch(/child broken failed to start/);
    expect(events.map((e) => ('child' in e ? `${e.type} ${e.child}` : e.type))).toEqual([
      'sup.child-started first',
      'sup.child-started second',
      'sup.child-stopped second',
      'sup.child-stopped first',
    ]);
    expect(liveWorkerCount()).toBe(0);
  });
});

describe('resource limits', () => {
  it("starts each actor thread with its child spec's heap limits, and restarts it with them", async () => {
    const { sup, log } = await start({
      id: 'root',
      backoff: FAST_BACKOFF,
      children: [probe('small', { actor: { module: PROBE, resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 } } }), probe('plain')],
    });
    const limit = (id: string) => sup.actor<ProbeActor>(id)!.ask({ type: 'probe.heap-limit' });
    const small = await limit('small');
    expect(small).toBeLessThan(40);
    expect(await limit('plain')).toBeGreaterThan(small * 4);
    const mark = log.mark();
    sup.actor<ProbeActor>('small')?.tell({ type: 'probe.crash', how: 'exit-3' });
    await log.waitFor((e) => e.type === 'sup.child-restarted' && e.child === 'small', mark);
    expect(await limit('small')).toBe(small);
  });
});

describe('child spec validation', () => {
  it.each([
    [{ id: 'root', children: [{ id: 'a', actor: { module: PROBE, resourceLimits: { maxOldGenerationSizeMb: 0 } } }] }, /"maxOldGenerationSizeMb" must be a positive number of MB/],
    [{ id: 'root', children: [{ id: 'a', actor: { module: PROBE, resourceLimits: { maxHeapMb: 10 } } }] }, /unknown key "maxHeapMb"/],
    [{ id: 'root', children: [{ id: 'a', actor: { module: PROBE }, restrat: 'permanent' }] }, /child "a": unknown key "restrat"/],
    [{ id: 'root', children: [{ id: 'a', actor: { module: PROBE }, restart: 'sometimes' }] }, /"restart" must be one of/],
    [{ id: 'root', strategy: 'one_for_some', children: [] }, /"strategy" must be one of/],
    [{ id: 'root', children: [{ id: 'a', actor: { module: PROBE }, shutdown: -1 }] }, /"shutdown"/],
    [{ id: 'root', children: [{ id: 'a', actor: { module: PROBE }, start: async () => undefined }] }, /bad combination: actor, start/],
    [{ id: 'root', children: [{ id: 'a', actor: { module: PROBE, peers: { link: 'later' } } }, { id: 'later', actor: { module: PROBE } }] }, /peer "link"/],
    [{ id: 'root', children: [{ id: 'a', actor: { module: PROBE } }, { id: 'a', actor: { module: PROBE } }] }, /duplicate child id "a"/],
    [{ id: 'root', children: [{ id: 'n', supervisor: { id: 'n', intensty: 3, children: [] } }] }, /"n".*unknown key "intensty"/],
  ])('rejects a bad tree before starting anything (%#)', async (spec, message) => {
    const err = await startSupervisor({ ...(spec as SupervisorSpec), children: [probe('ok'), ...(spec as SupervisorSpec).children] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(message);
    expect(liveWorkerCount()).toBe(0);
  });
});
