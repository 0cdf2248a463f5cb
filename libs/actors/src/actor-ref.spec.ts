import { PermanentError, TransientError } from '@filesync/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type ActorRef, startActor } from './actor-ref';
import type { ProbeActor, ProbeMessage, ProbeReplies } from './fixtures/probe-actor';
import { eventually } from './fixtures/tree-helpers';
import { liveWorkerCount } from './worker-registry';

const PROBE = new URL('./fixtures/probe-actor.ts', import.meta.url);
const started: ActorRef<ProbeMessage, ProbeReplies>[] = [];

async function probe(id: string, args?: { arg?: string; ignoreStop?: boolean; failInit?: boolean }) {
  const ref = await startActor<ProbeActor>({ id, module: PROBE, args, heartbeatIntervalMs: 50, heartbeatTimeoutMs: 2_000 });
  started.push(ref);
  return ref;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.kill()));
});

describe('startActor', () => {
  it('runs the module in its own thread and answers asks with typed replies', async () => {
    const ref = await probe('probe:a', { arg: 'hello' });
    const pong = await ref.ask({ type: 'probe.ping' });
    expect(pong).toEqual({ id: 'probe:a', threadId: ref.threadId, arg: 'hello' });
    expect(pong.threadId).not.toBe(0);
  });

  it('a deferred reply frees the mailbox: later asks are answered first, and its outcome (error class kept) comes when it settles', async () => {
    const ref = await probe('probe:defer');
    const order: string[] = [];
    const slow = ref.ask({ type: 'probe.defer', ms: 400 }).then((ms) => order.push(`deferred ${ms}`));
    const failing = ref.ask({ type: 'probe.defer', ms: 200, fail: true }).catch((e: unknown) => e);
    await ref.ask({ type: 'probe.ping' }).then(() => order.push('ping'));
    const err = await failing;
    await slow;
    expect(order).toEqual(['ping', 'deferred 400']);
    expect(err).toBeInstanceOf(TransientError);
    expect(err).toMatchObject({ code: 'busy', detail: { ms: 200 } });
  });

  it('handles tells in order before a later ask', async () => {
    const ref = await probe('probe:b');
    for (let i = 1; i <= 10; i++) ref.tell({ type: 'probe.add', n: i });
    expect(await ref.ask({ type: 'probe.count' })).toBe(55);
  });

  it('rebuilds a TransientError thrown in the worker with its class, code and detail', async () => {
    const ref = await probe('probe:c');
    const err = await ref.ask({ type: 'probe.fail', kind: 'transient' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err).toMatchObject({ kind: 'transient', code: 'timeout', detail: { attempt: 1 } });
    const perm = await ref.ask({ type: 'probe.fail', kind: 'permanent' }).catch((e: unknown) => e);
    expect(perm).toBeInstanceOf(PermanentError);
    expect(perm).toMatchObject({ code: 'not-found' });
  });

  it('rejects a message that fails the boundary check, showing what it got, and keeps running', async () => {
    const ref = await probe('probe:d');
    const bad = { type: 'probe.add', n: 'seven' } as unknown as ProbeMessage;
    const err = await ref.ask(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('"seven"');
    const unknownType = { type: 'nope.what' } as unknown as ProbeMessage;
    await expect(ref.ask(unknownType)).rejects.toThrow(/unexpected message \{"type":"nope.what"\}/);
    expect((await ref.ask({ type: 'probe.ping' })).id).toBe('probe:d');
  });

  it('times out an ask with TransientError(timeout)', async () => {
    const ref = await probe('probe:e');
    const err = await ref.ask({ type: 'probe.slow', ms: 2_000 }, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err).toMatchObject({ code: 'timeout' });
  });

  it('fails the start with the init error, class kept', async () => {
    const err = await probe('probe:f', { failInit: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err).toMatchObject({ code: 'device-gone' });
    expect((err as Error).message).toContain('probe:f');
  });

  it('fails the start of a module that is not an actor, or whose init never finishes', async () => {
    const notActor = await startActor({ id: 'probe:na', module: new URL('./fixtures/not-an-actor.ts', import.meta.url) }).catch((e: unknown) => e);
    expect(notActor).toBeInstanceOf(PermanentError);
    expect((notActor as Error).message).toMatch(/probe:na failed to start: .*not-an-actor\.ts must export default defineActor/);

    const hung = await startActor<ProbeActor>({ id: 'probe:hang', module: PROBE, args: { hangInit: true }, startTimeoutMs: 1_000 }).catch(
      (e: unknown) => e,
    );
    expect(hung).toBeInstanceOf(TransientError);
    expect(hung).toMatchObject({ code: 'timeout' });
    expect(await eventually(() => liveWorkerCount() === 0)).toBe(true);
  });

  it('reports each crash cause as its exit reason', async () => {
    const thrower = await probe('probe:throw');
    thrower.tell({ type: 'probe.crash', how: 'throw' });
    expect(await thrower.exited).toMatchObject({ kind: 'error', error: { kind: 'transient', code: 'busy' } });

    const exiter = await probe('probe:exit');
    exiter.tell({ type: 'probe.crash', how: 'exit-3' });
    expect(await exiter.exited).toEqual({ kind: 'exit-code', code: 3 });

    const normal = await probe('probe:normal');
    normal.tell({ type: 'probe.exit-normally' });
    expect(await normal.exited).toEqual({ kind: 'normal' });

    const looper = await probe('probe:loop');
    looper.tell({ type: 'probe.crash', how: 'loop' });
    const reason = await looper.exited;
    expect(reason.kind).toBe('heartbeat-missed');
  });

  it('terminates an actor stuck on one message although its event loop runs (a read that never returns)', async () => {
    const ref = await startActor<ProbeActor>({ id: 'probe:stuck', module: PROBE, heartbeatIntervalMs: 50, hangTimeoutMs: 300 });
    started.push(ref);
    const pending = ref.ask({ type: 'probe.slow', ms: 60_000 }, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    const reason = await ref.exited;
    expect(reason).toMatchObject({ kind: 'hung', messageType: 'probe.slow' });
    expect(reason.kind === 'hung' && reason.busyMs).toBeGreaterThanOrEqual(300);
    expect(await pending).toMatchObject({ code: 'disconnected' });
  });

  it('rejects an ask to a dead actor with disconnected, pending ones too', async () => {
    const ref = await probe('probe:g');
    const pending = ref.ask({ type: 'probe.slow', ms: 5_000 }).catch((e: unknown) => e);
    await ref.kill();
    expect(await pending).toMatchObject({ code: 'disconnected', detail: { deadActor: 'probe:g' } });
    await expect(ref.ask({ type: 'probe.ping' })).rejects.toBeInstanceOf(TransientError);
  });

  it('stops gracefully, or terminates after the timeout when the stop message is ignored', async () => {
    const polite = await probe('probe:h');
    expect(await polite.shutdown(2_000)).toEqual({ kind: 'shutdown', forced: false });
    const stubborn = await probe('probe:i', { ignoreStop: true });
    expect(await stubborn.shutdown(100)).toEqual({ kind: 'shutdown', forced: true });
    expect(liveWorkerCount()).toBe(0);
  });
});
