import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActorRef, startActor } from '@filesync/actors';
import { caught, collect, patternBytes, sha256Hex } from '@filesync/core/testing';
import type { MavftpActor, MavftpMessage, MavftpReplies } from './mavftp-actor';
import { MAVFTP_ACTOR_MODULE } from './actor-module';
import { createMavftpActorSource } from './mavftp-actor-source';
import { type Px4Sim, makeSdRoot, startPx4Sim } from './testing/px4-sim';

describe('device actor (worker thread owning the link)', () => {
  const big = patternBytes(300_000, 21);
  const small = patternBytes(5_000, 22);
  let sim: Px4Sim;
  let root: string;
  let actor: ActorRef<MavftpMessage, MavftpReplies>;
  beforeAll(async () => {
    root = await makeSdRoot({ 'fs/microsd/log/2026-11-20/10_31_07.ulg': big, 'fs/microsd/log/2026-11-20/11_00_00.ulg': small });
    sim = await startPx4Sim(root, ['--no-pty']);
    actor = await startActor<MavftpActor>({
      id: 'source:px4',
      module: MAVFTP_ACTOR_MODULE,
      args: { id: 'px4', link: `udpout:${sim.udp}`, requestTimeoutMs: 200 },
      startTimeoutMs: 30_000,
    });
  });
  afterAll(async () => {
    await actor?.shutdown(5_000);
    await sim?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('serves list, read, checksum and remove through asks, with listings between chunks of a read', async () => {
    const source = createMavftpActorSource(actor, { id: 'px4', pausePollMs: 100 });
    const entries = [];
    for await (const e of source.list()) entries.push(e.path);
    expect(entries.sort()).toEqual(['2026-11-20/10_31_07.ulg', '2026-11-20/11_00_00.ulg']);

    const parts: Uint8Array[] = [];
    let listedMidRead = false;
    for await (const chunk of source.read('2026-11-20/10_31_07.ulg', 0)) {
      parts.push(chunk);
      if (!listedMidRead && parts.length === 1) {
        // The Finder's listing: one message in the same mailbox, answered before the read ends.
        const mid = await actor.ask({ type: 'mavftp.list' });
        expect(mid).toHaveLength(2);
        listedMidRead = true;
      }
    }
    expect(listedMidRead).toBe(true);
    expect(parts.length).toBeGreaterThan(1);
    expect(sha256Hex(Buffer.concat(parts))).toBe(sha256Hex(big));

    expect(await source.checksum!('2026-11-20/11_00_00.ulg', 'mavlink-crc32')).toMatch(/^[0-9a-f]{8}$/);
    await source.remove!('2026-11-20/11_00_00.ulg');
    const err = await caught(() => collect(source.read('2026-11-20/11_00_00.ulg', 0)));
    // The error crossed the thread as data and came back as its class and code.
    expect(err).toMatchObject({ kind: 'permanent', code: 'not-found' });
  });

  it('answers "paused" while armed instead of blocking its mailbox, and finishes after disarm', async () => {
    const source = createMavftpActorSource(actor, { id: 'px4', pausePollMs: 100 });
    await sim.post('/arm');
    const status = async (): Promise<boolean | undefined> => (await actor.ask({ type: 'mavftp.status' })).armed;
    for (let i = 0; i < 100 && (await status()) !== true; i++) await new Promise((r) => setTimeout(r, 50));
    const { readId } = await actor.ask({ type: 'mavftp.read-open', path: '2026-11-20/10_31_07.ulg', offset: 0 });
    const first = await actor.ask({ type: 'mavftp.read-next', readId }, { timeoutMs: 20_000 });
    expect(first).toMatchObject({ paused: true, data: null, done: false });
    // The mailbox is free: a listing is answered (empty: the only log is the newest, left alone while armed).
    expect(await actor.ask({ type: 'mavftp.list' })).toEqual([]);
    await actor.ask({ type: 'mavftp.read-close', readId });
    const reading = collect(source.read('2026-11-20/10_31_07.ulg', 0));
    await new Promise((r) => setTimeout(r, 300));
    await sim.post('/disarm');
    expect(sha256Hex(await reading)).toBe(sha256Hex(big));
  });
});
