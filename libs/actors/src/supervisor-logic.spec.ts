import { backoffDelay, ManualClock } from '@filesync/core';
import { describe, expect, it, vi } from 'vitest';
import type { SupervisorSpec } from './child-spec';
import { InProcessChild } from './fixtures/in-process-child';
import type { SupervisionEvent } from './supervision-events';
import { startSupervisor } from './supervisor';

/** Lets queued supervision work (promise chains) run without moving the clock. */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe('supervisor logic on a ManualClock (in-process children)', () => {
  it('waits an exponential backoff between restarts, then gives up past the intensity', async () => {
    const clock = new ManualClock();
    const instances: InProcessChild[] = [];
    const backoff = { initialMs: 100, maxMs: 10_000, factor: 2, jitter: 0 };
    const spec: SupervisorSpec = {
      id: 'root',
      intensity: 3,
      periodMs: 60_000,
      backoff,
      children: [
        {
          id: 'flaky',
          start: async () => {
            const c = new InProcessChild(`flaky#${instances.length}`);
            instances.push(c);
            return c;
          },
        },
      ],
    };
    const sup = await startSupervisor(spec, { clock, random: () => 0 });
    const events: SupervisionEvent[] = [];
    sup.onEvent((e) => events.push(e));

    for (let attempt = 0; attempt < 3; attempt++) {
      instances.at(-1)?.crash();
      await flush();
      const delay = backoffDelay(backoff, attempt, () => 0);
      expect(delay).toBe(100 * 2 ** attempt);
      clock.advance(delay - 1);
      await flush();
      expect(instances).toHaveLength(attempt + 1); // not yet
      clock.advance(1);
      await flush();
      expect(instances).toHaveLength(attempt + 2);
    }
    expect(events.filter((e) => e.type === 'sup.child-restarted').map((e) => (e as { delayMs: number }).delayMs)).toEqual([100, 200, 400]);

    instances.at(-1)?.crash();
    await flush();
    expect(await sup.exited).toMatchObject({ kind: 'gave-up', supervisor: 'root', restarts: 4, last: { kind: 'exit-code', code: 3 } });
    expect(events.at(-1)).toMatchObject({ type: 'sup.gave-up', path: ['root'], restarts: 4 });
    expect(sup.snapshot().state).toBe('gave-up');
  });

  it('keeps restarting forever when crashes are further apart than the period', async () => {
    const clock = new ManualClock();
    const instances: InProcessChild[] = [];
    const sup = await startSupervisor(
      {
        id: 'root',
        intensity: 1,
        periodMs: 1_000,
        backoff: { initialMs: 10, maxMs: 10, factor: 1, jitter: 0 },
        children: [{ id: 'slow-crasher', start: async () => instances[instances.push(new InProcessChild('c')) - 1]! }],
      },
      { clock },
    );
    for (let i = 0; i < 10; i++) {
      instances.at(-1)?.crash();
      await flush();
      clock.advance(1_500);
      await flush();
    }
    expect(instances).toHaveLength(11);
    expect(sup.snapshot()).toMatchObject({ state: 'running', children: [{ id: 'slow-crasher', state: 'running', restarts: 10 }] });
    await sup.stop();
  });

  it('reports uptime on the injected clock and the restart count per child', async () => {
    const clock = new ManualClock();
    const sup = await startSupervisor({ id: 'root', children: [{ id: 'a', start: async () => new InProcessChild('a') }] }, { clock });
    clock.advance(1234);
    expect(sup.snapshot().children[0]).toMatchObject({ id: 'a', state: 'running', uptimeMs: 1234, restarts: 0 });
    await sup.stop();
    expect(sup.snapshot().children[0]).toMatchObject({ state: 'stopped', uptimeMs: undefined, lastExit: { kind: 'shutdown' } });
  });

  it('draws each backoff delay with jitter from the injected random source', async () => {
    const clock = new ManualClock();
    const instances: InProcessChild[] = [];
    const backoff = { initialMs: 1_000, maxMs: 10_000, factor: 2, jitter: 0.5 };
    const sup = await startSupervisor(
      { id: 'root', backoff, periodMs: 60_000, children: [{ id: 'c', start: async () => instances[instances.push(new InProcessChild('c')) - 1]! }] },
      { clock, random: () => 1 },
    );
    const delays: number[] = [];
    sup.onEvent((e) => e.type === 'sup.child-restarted' && delays.push(e.delayMs));
    for (let i = 0; i < 2; i++) {
      instances.at(-1)?.crash();
      await flush();
      clock.advance(10_000);
      await flush();
    }
    // Full jitter 0.5 with random() = 1 halves the exponential delay: 1000→500, 2000→1000.
    expect(delays).toEqual([500, 1_000]);
    await sup.stop();
  });

  it('reports a root that gives up on stderr when nobody listens', async () => {
    const clock = new ManualClock();
    const child = new InProcessChild('c');
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const sup = await startSupervisor({ id: 'root', intensity: 0, children: [{ id: 'c', start: async () => child }] }, { clock });
      child.crash();
      expect(await sup.exited).toMatchObject({ kind: 'gave-up' });
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toMatch(/"level":"fatal".*supervisor root gave up after 1 restarts/);
  });
});

describe('supervisor start-up races (in-process children)', () => {
  it('handles a crash that happens while later siblings are still starting', async () => {
    const clock = new ManualClock();
    const early = new InProcessChild('early');
    let releaseLate: () => void = () => undefined;
    const lateStarted = new Promise<void>((r) => (releaseLate = r));
    const events: SupervisionEvent[] = [];
    let earlyStarts = 0;
    const starting = startSupervisor(
      {
        id: 'root',
        backoff: { initialMs: 0, maxMs: 0, factor: 1, jitter: 0 },
        children: [
          { id: 'early', start: async () => (earlyStarts++ === 0 ? early : new InProcessChild('early#2')) },
          {
            id: 'late',
            start: async () => {
              await lateStarted;
              return new InProcessChild('late');
            },
          },
        ],
      },
      { clock, onEvent: (e) => events.push(e) },
    );
    await flush();
    early.crash(); // while 'late' is still starting
    await flush();
    releaseLate();
    const sup = await starting;
    await flush();
    clock.advance(0);
    await flush();
    expect(events.map((e) => ('child' in e ? `${e.type} ${e.child}` : e.type))).toEqual([
      'sup.child-started early',
      'sup.child-started late',
      'sup.child-crashed early',
      'sup.child-restarted early',
    ]);
    expect(sup.snapshot().children.map((c) => c.state)).toEqual(['running', 'running']);
    await sup.stop();
  });
});
