import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashBytes } from '@filesync/core';
import { describe, expect, it } from 'vitest';
import { createActorSystem } from './actor-system';
import type { ProbeActor } from './fixtures/probe-actor';
import { eventually, osThreadCount, PROBE, TEST_TIMINGS } from './fixtures/tree-helpers';
import type { SupervisionEvent } from './supervision-events';
import { liveWorkerCount } from './worker-registry';

describe('createActorSystem', () => {
  it('owns the trees and the CPU pool and stops them all, leaving no thread', async () => {
    const threadsBefore = osThreadCount();
    const dir = await mkdtemp(join(tmpdir(), 'actors-system-'));
    const events: SupervisionEvent[] = [];
    const system = createActorSystem({ actorDefaults: TEST_TIMINGS, pool: { maxThreads: 1 }, onEvent: (e) => events.push(e) });
    try {
      const root = await system.start({
        id: 'root',
        children: [
          { id: 'store', actor: { module: PROBE } },
          { id: 'cleaner', actor: { module: PROBE } },
        ],
      });
      const file = join(dir, 'f.bin');
      await writeFile(file, 'filesync');
      expect(await system.pool.hashFile(file, 'sha256')).toBe(hashBytes('sha256', Buffer.from('filesync')));
      expect((await root.actor<ProbeActor>('store')?.ask({ type: 'probe.ping' }))?.id).toBe('store');
      expect(system.pool.threadCount()).toBe(1);
      expect(liveWorkerCount()).toBe(2);
    } finally {
      await system.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
    expect(events.map((e) => e.type)).toEqual([
      'sup.child-started',
      'sup.child-started',
      'sup.child-stopped',
      'sup.child-stopped',
      'sup.stopped',
    ]);
    expect(liveWorkerCount()).toBe(0);
    expect(system.pool.threadCount()).toBe(0);
    expect(await eventually(() => osThreadCount() <= threadsBefore)).toBe(true);
    await expect(system.start({ id: 'late', children: [] })).rejects.toThrow(/shut down/);
  });
});
