import { afterEach, describe, expect, it } from 'vitest';
import type { ActorLogLine } from './actor-log';
import { type ActorRef, startActor } from './actor-ref';
import type { ProbeActor, ProbeMessage, ProbeReplies } from './fixtures/probe-actor';
import { eventually, PROBE, TEST_TIMINGS } from './fixtures/tree-helpers';
import { startSupervisor, type Supervisor } from './supervisor';

const refs: ActorRef<ProbeMessage, ProbeReplies>[] = [];
const trees: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(refs.splice(0).map((r) => r.kill()));
  await Promise.all(trees.splice(0).map((t) => t.shutdown(2_000)));
});

describe('logToParent', () => {
  it("hands an actor's lines to its parent's onLog, a line that cannot cross threads as JSON keeps it", async () => {
    const lines: ActorLogLine[] = [];
    const ref = await startActor<ProbeActor>({ id: 'probe:log', module: PROBE, ...TEST_TIMINGS, onLog: (line) => lines.push(line) });
    refs.push(ref);
    await ref.ask({ type: 'probe.log', msg: 'disk slow', n: 7 });
    expect(await eventually(() => lines.length === 2, 5_000)).toBe(true);
    expect(lines).toEqual([
      { level: 'warn', obj: { actor: 'probe:log', n: 7 }, msg: 'disk slow' },
      { level: 'info', obj: { actor: 'probe:log', n: 7 }, msg: 'disk slow again' },
    ]);
  });

  it('drops the lines of an actor whose parent takes none, and the actor lives on', async () => {
    const ref = await startActor<ProbeActor>({ id: 'probe:quiet', module: PROBE, ...TEST_TIMINGS });
    refs.push(ref);
    await ref.ask({ type: 'probe.log', msg: 'nobody listens', n: 1 });
    expect(await ref.ask({ type: 'probe.add', n: 2 }).then(() => ref.ask({ type: 'probe.count' }))).toBe(2);
  });

  it("brings every actor's lines to the tree's onActorLog, a nested supervisor's children included", async () => {
    const lines: ActorLogLine[] = [];
    const sup = await startSupervisor(
      {
        id: 'root',
        children: [
          { id: 'top', actor: { module: PROBE } },
          { id: 'group', supervisor: { id: 'group', children: [{ id: 'inner', actor: { module: PROBE } }] } },
        ],
      },
      { actorDefaults: TEST_TIMINGS, onActorLog: (line) => lines.push(line) },
    );
    trees.push(sup);
    await sup.actor<ProbeActor>('top')?.ask({ type: 'probe.log', msg: 'from the top', n: 1 });
    const group = sup.child('group') as Supervisor;
    await group.actor<ProbeActor>('inner')?.ask({ type: 'probe.log', msg: 'from inside', n: 2 });
    expect(await eventually(() => lines.length === 4, 5_000)).toBe(true);
    expect(lines.filter((l) => l.level === 'warn').map((l) => [l.obj, l.msg])).toEqual([
      [{ actor: 'top', n: 1 }, 'from the top'],
      [{ actor: 'inner', n: 2 }, 'from inside'],
    ]);
  });
});
