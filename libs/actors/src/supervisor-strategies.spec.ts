import { afterEach, describe, expect, it } from 'vitest';
import type { Strategy } from './child-spec';
import type { CrashHow, ProbeActor } from './fixtures/probe-actor';
import { EventLog, FAST_BACKOFF, PROBE, TEST_TIMINGS } from './fixtures/tree-helpers';
import { startSupervisor, type Supervisor } from './supervisor';

const trees: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.shutdown(2_000)));
});

async function tree(strategy: Strategy): Promise<{ sup: Supervisor; log: EventLog }> {
  const sup = await startSupervisor(
    {
      id: 'root',
      strategy,
      intensity: 10,
      periodMs: 60_000,
      backoff: FAST_BACKOFF,
      children: ['a', 'b', 'c'].map((id) => ({ id, actor: { module: PROBE } })),
    },
    { actorDefaults: TEST_TIMINGS },
  );
  trees.push(sup);
  return { sup, log: new EventLog(sup) };
}

function threads(sup: Supervisor): Record<string, number | undefined> {
  return Object.fromEntries(sup.snapshot().children.map((c) => [c.id, c.threadId]));
}

const CRASHES: Array<{ how: CrashHow; cause: string }> = [
  { how: 'throw', cause: 'error' },
  { how: 'exit-3', cause: 'exit-code' },
  { how: 'loop', cause: 'heartbeat-missed' },
];

/** Which children each strategy restarts when `b` (the middle one) crashes, in event order. */
const EXPECTED: Record<Strategy, { steps: string[]; restarted: string[] }> = {
  one_for_one: { steps: ['crashed b', 'restarted b'], restarted: ['b'] },
  one_for_all: {
    steps: ['crashed b', 'stopped c', 'stopped a', 'restarted a', 'restarted b', 'restarted c'],
    restarted: ['a', 'b', 'c'],
  },
  rest_for_one: { steps: ['crashed b', 'stopped c', 'restarted b', 'restarted c'], restarted: ['b', 'c'] },
};

describe.each(Object.keys(EXPECTED) as Strategy[])('%s', (strategy) => {
  it('restarts exactly the right children, in order, after a throw, process.exit(3) and an endless loop', async () => {
    const { sup, log } = await tree(strategy);
    const expected = EXPECTED[strategy];
    for (const { how, cause } of CRASHES) {
      const before = threads(sup);
      const mark = log.mark();
      sup.actor<ProbeActor>('b')?.tell({ type: 'probe.crash', how });
      const last = expected.steps.at(-1)?.split(' ')[1];
      await log.waitFor((e) => e.type === 'sup.child-restarted' && e.child === last, mark);

      expect(log.steps(mark), `${how}`).toEqual(expected.steps);
      const crashed = log.since(mark)[0];
      expect(crashed?.type === 'sup.child-crashed' && crashed.reason.kind).toBe(cause);
      if (crashed?.type === 'sup.child-crashed' && crashed.reason.kind === 'heartbeat-missed') {
        // Found by the watchdog with the configured bound (not earlier); waitFor bounds the wait.
        expect(crashed.reason.silentMs).toBeGreaterThanOrEqual(TEST_TIMINGS.heartbeatTimeoutMs);
      }
      const after = threads(sup);
      for (const id of ['a', 'b', 'c']) {
        if (expected.restarted.includes(id)) expect(after[id], `${id} after ${how}`).not.toBe(before[id]);
        else expect(after[id], `${id} after ${how}`).toBe(before[id]);
      }
      // The restarted children answer again.
      for (const id of ['a', 'b', 'c']) expect((await sup.actor<ProbeActor>(id)?.ask({ type: 'probe.ping' }))?.id).toBe(id);
    }
    const snap = sup.snapshot();
    expect(snap.children.map((c) => [c.id, c.restarts])).toEqual(
      ['a', 'b', 'c'].map((id) => [id, expected.restarted.includes(id) ? CRASHES.length : 0]),
    );
  });
});
