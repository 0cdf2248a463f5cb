import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SupervisionEvent, type Supervisor, startSupervisor } from '@filesync/actors';
import { type FlashSimProcess, startFlashSimProcess } from '../test/flash-sim-process';
import { DISK_ACTOR_MODULE, type DiskActor, type DiskActorArgs } from './disk-actor';

const READ_TIMEOUT_MS = 1_000;
const CHUNK = 8192;

describe('disk actor on a real worker thread under a supervisor', () => {
  let sim: FlashSimProcess;
  let tree: Supervisor | undefined;
  const events: SupervisionEvent[] = [];

  beforeAll(async () => {
    sim = await startFlashSimProcess(['--sessions', '1', '--images', '3', '--videos', '1', '--jpeg-kib', '20-30', '--video-mib', '0.1']);
  });
  afterAll(async () => {
    await sim?.stop();
  });
  afterEach(async () => {
    await tree?.shutdown(2_000);
    tree = undefined;
    events.length = 0;
    await sim.post('/faults/clear');
  });

  const start = async (): Promise<Supervisor> => {
    const args: DiskActorArgs = {
      id: 'flir',
      match: { label: 'FLIR' },
      mountTable: sim.ready.mountTable,
      diskDir: sim.ready.diskDir,
      readChunkBytes: CHUNK,
      mountPollMs: 50,
      readTimeoutMs: READ_TIMEOUT_MS,
      readGateUrl: `${sim.ready.control}/gate`,
    };
    tree = await startSupervisor(
      {
        id: 'root',
        strategy: 'one_for_one',
        intensity: 5,
        periodMs: 60_000,
        backoff: { initialMs: 1, maxMs: 5, factor: 2, jitter: 0 },
        children: [{ id: 'source:flir', actor: { module: DISK_ACTOR_MODULE, args } }],
      },
      // Generous heartbeat timeout for a loaded machine; the read deadline is what this test is about.
      { actorDefaults: { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 5_000, startTimeoutMs: 30_000, askTimeoutMs: 10_000 }, onEvent: (e) => events.push(e) },
    );
    return tree;
  };

  const waitForEvent = async (pred: (e: SupervisionEvent) => boolean): Promise<SupervisionEvent> => {
    for (let i = 0; i < 600; i++) {
      const found = events.find(pred);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no such supervision event; got ${events.map((e) => e.type).join(', ')}`);
  };

  it('serves status, listing and chunked reads of the mounted card', async () => {
    const sup = await start();
    const actor = sup.actor<DiskActor>('source:flir')!;
    const status = await actor.ask({ type: 'disk.status' });
    expect(status).toMatchObject({ mounted: true, drive: { label: 'FLIR' } });
    const entries = await actor.ask({ type: 'disk.list', sourceId: status.sourceId! });
    expect(entries).toHaveLength(4);
    const file = entries[0]!;
    const parts: Uint8Array[] = [];
    for (let offset = 0, i = 0; i < 100; i++) {
      const { bytes, eof } = await actor.ask({ type: 'disk.read', sourceId: status.sourceId!, path: file.path, offset });
      parts.push(bytes);
      offset += bytes.length;
      if (eof) break;
    }
    expect(Buffer.concat(parts).equals(await readFile(join(sim.ready.mountPoint, file.path)))).toBe(true);
    await expect(actor.ask({ type: 'disk.read', sourceId: 'flir:0000-0000', path: file.path, offset: 0 })).rejects.toMatchObject({
      kind: 'transient',
      code: 'device-gone',
    });
  });

  it('cuts a hung read after the configured timeout: the actor crashes with the reason and is restarted, and the new one reads', async () => {
    const sup = await start();
    const actor = sup.actor<DiskActor>('source:flir')!;
    const threadBefore = sup.snapshot().children[0]!.threadId;
    const { sourceId } = await actor.ask({ type: 'disk.status' });
    const [file] = await actor.ask({ type: 'disk.list', sourceId: sourceId! });
    // Fault: every read of this file hangs (a dead USB device), until the faults are cleared.
    await sim.post('/faults/hang', { path: file!.path });
    const asked = actor.ask({ type: 'disk.read', sourceId: sourceId!, path: file!.path, offset: 0 }).catch((err: unknown) => err);

    const crashed = await waitForEvent((e) => e.type === 'sup.child-crashed');
    expect(crashed).toMatchObject({ child: 'source:flir', reason: { kind: 'error', error: { kind: 'transient', code: 'timeout' } } });
    const error = (crashed as Extract<SupervisionEvent, { type: 'sup.child-crashed' }>).reason as { error: { detail: Record<string, number> } };
    expect(error.error.detail['readTimeoutMs']).toBe(READ_TIMEOUT_MS);
    expect(error.error.detail['elapsedMs']).toBeGreaterThanOrEqual(READ_TIMEOUT_MS);
    // The read was still hung when the actor was cut: nothing had released it.
    expect((await sim.get<{ faults: { hang: string[] } }>('/state')).faults.hang).toEqual([file!.path]);
    expect(await asked).toBeInstanceOf(Error);

    await waitForEvent((e) => e.type === 'sup.child-restarted' && e.child === 'source:flir');
    expect(sup.snapshot().children[0]!.threadId).not.toBe(threadBefore);
    await sim.post('/faults/clear');
    const fresh = sup.actor<DiskActor>('source:flir')!;
    await fresh.ask({ type: 'disk.wait-volume', timeoutMs: 5_000 });
    const { bytes } = await fresh.ask({ type: 'disk.read', sourceId: sourceId!, path: file!.path, offset: 0 });
    expect(bytes.length).toBe(Math.min(CHUNK, file!.size));
  });
});
