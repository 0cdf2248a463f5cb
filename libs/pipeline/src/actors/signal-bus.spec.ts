import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type PipelineSignal, type SignalBus, openSignalBus } from './signal-bus';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (at most 5 s) until `done` holds: messages between channels take a while on a loaded machine. */
async function until(done: () => boolean): Promise<void> {
  for (const start = Date.now(); !done() && Date.now() - start < 5_000; ) await sleep(5);
}

describe('signal bus', () => {
  const open: SignalBus[] = [];
  afterEach(() => {
    for (const bus of open.splice(0)) bus.close();
  });

  /** A sender and a listener on one fresh bus (two instances of a channel hear each other, even in one thread). */
  function pair(coalesceMs: number): { sender: SignalBus; heard: PipelineSignal[] } {
    const name = randomUUID();
    const sender = openSignalBus(name, coalesceMs);
    const listener = openSignalBus(name);
    open.push(sender, listener);
    const heard: PipelineSignal[] = [];
    listener.subscribe((s) => heard.push(s));
    return { sender, heard };
  }

  it('a burst of one kind goes out twice (at once, and once at the end of the window), other kinds apart, none lost', async () => {
    // A long window, so that the first posts are surely heard before the merged one goes.
    const windowMs = 1_500;
    const { sender, heard } = pair(windowMs);
    const sentAt = Date.now();
    for (let i = 0; i < 50; i++) sender.post({ type: 'signal.staged', configId: 'cam' });
    sender.post({ type: 'signal.staged', configId: 'nav' });
    sender.post({ type: 'signal.delivered', configId: 'cam' });
    await until(() => heard.length >= 3);
    // The first of each kind at once.
    expect(heard).toEqual([
      { type: 'signal.staged', configId: 'cam' },
      { type: 'signal.staged', configId: 'nav' },
      { type: 'signal.delivered', configId: 'cam' },
    ]);
    expect(Date.now() - sentAt).toBeLessThan(windowMs);
    // The 49 later posts of `staged cam` as one, after the window; nothing else was posted again.
    await until(() => heard.length >= 4);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(windowMs - 50);
    expect(heard.at(-1)).toEqual({ type: 'signal.staged', configId: 'cam' });
    await sleep(windowMs + 200);
    expect(heard).toHaveLength(4);
    // Quiet since: the next post goes at once again.
    const again = Date.now();
    sender.post({ type: 'signal.staged', configId: 'cam' });
    await until(() => heard.length >= 5);
    expect(heard).toHaveLength(5);
    expect(Date.now() - again).toBeLessThan(windowMs);
  }, 20_000);

  it('a post after close is dropped, and a merged one waiting is not sent', async () => {
    const { sender, heard } = pair(300);
    sender.post({ type: 'signal.found', configId: 'cam' });
    sender.post({ type: 'signal.found', configId: 'cam' });
    await until(() => heard.length >= 1);
    sender.close();
    sender.post({ type: 'signal.found', configId: 'cam' });
    await sleep(600);
    expect(heard).toHaveLength(1);
  });
});
