import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { dirname, join } from 'node:path';
import { type CollisionPolicy, isFilesyncError, patternBytes, type Source } from '@filesync/core';
import { localSourceSchema, localTargetSchema } from '@filesync/core/config';
import { describeSourceConformance, describeTargetConformance } from '@filesync/core/testing';
import { type ActorRef, startActor } from '@filesync/actors';
import { STREAM_WINDOW, sendByteStream } from '@filesync/actors/actor';
import { describe, expect, it } from 'vitest';
import { LinkClient } from './link-client';
import { LINK_ACTOR_MODULE, type LinkActor, type LinkArgs, type LinkMessage, type LinkReplies } from './link-protocol';
import { createRemoteSource } from './remote-source';
import { createRemoteTarget } from './remote-target';

async function startLink(args: Omit<LinkArgs, 'bus'>): Promise<ActorRef<LinkMessage, LinkReplies>> {
  return startActor<LinkActor>({ id: 'link', module: LINK_ACTOR_MODULE, args: { ...args, bus: args.dataDir } });
}

describe('link: a device call stuck in the kernel', () => {
  const asks: Record<string, (source: Source) => Promise<unknown>> = {
    'a read': (source) => source.read('file.bin', 0)[Symbol.asyncIterator]().next(),
    // A call's reply is deferred until the call ends: only the link's crash ends the wait.
    'a stat': (source) => source.stat?.('file.bin') ?? Promise.reject(new Error('no stat')),
  };
  it.each(Object.entries(asks))('%s: crashes the link after stuckMs (its event loop stays free, so no heartbeat would notice), and the asker gets a TransientError', async (_what, ask) => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-remote-stuck-'));
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src', 'file.bin'), 'bytes');
    const link = await startActor<LinkActor>({
      id: 'link',
      module: LINK_ACTOR_MODULE,
      args: { role: 'source', device: localSourceSchema.parse({ id: 'cam', type: 'local', dir: join(dir, 'src') }), dataDir: dir, bus: dir, stuckMs: 300 },
    });
    // A dead USB read, for real: every thread of libuv's pool (shared by all worker threads of the
    // process) blocked in the kernel opening a FIFO nobody writes to, so the link's open waits behind them.
    const poolSize = Number(process.env['UV_THREADPOOL_SIZE'] ?? 4);
    const fifos = Array.from({ length: poolSize }, (_, i) => join(dir, `pipe${i}`));
    for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
    const blocked = fifos.map((fifo) => open(fifo, 'r').then((h) => h.close()));
    let released = false;
    // Writers opened synchronously: the pool is still full. Once only (a second writer would wait for a reader).
    const release = (): void => {
      if (released) return;
      released = true;
      for (const fifo of fifos) closeSync(openSync(fifo, 'w'));
    };
    try {
      const source = createRemoteSource(new LinkClient(link), 'cam', { canResume: true, canRemove: true, hashes: [], parallelism: 1, identity: 'size-mtime' });
      const err = await ask(source).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isFilesyncError(err) && err.kind === 'transient').toBe(true);
      // The link's thread ends only once its open returns (Node waits for its pending fs request).
      release();
      await Promise.all(blocked);
      const reason = await link.exited;
      expect(reason.kind === 'error' && reason.error.message).toMatch(/hung for more than 300 ms/);
    } finally {
      release();
      await link.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function sourceWorld(files: Readonly<Record<string, Uint8Array>>) {
  const dir = await mkdtemp(join(tmpdir(), 'fs-remote-src-'));
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(dirname(join(dir, 'src', path)), { recursive: true });
    await writeFile(join(dir, 'src', path), bytes);
  }
  await mkdir(join(dir, 'src'), { recursive: true });
  const link = await startLink({ role: 'source', device: localSourceSchema.parse({ id: 'cam', type: 'local', dir: join(dir, 'src') }), dataDir: dir });
  const client = new LinkClient(link);
  const d = await client.ask({ type: 'link.describe' });
  if (d.role !== 'source' || d.sourceId === undefined || d.features === undefined) throw new Error(`unexpected description ${JSON.stringify(d)}`);
  return {
    link,
    source: createRemoteSource(client, d.sourceId, d.features),
    cleanup: async () => {
      await link.shutdown(2_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describeSourceConformance('remote source through a link worker (local directory)', { setup: sourceWorld });

describeTargetConformance('remote target through a link worker (local directory)', {
  collisionPolicies: ['rename', 'overwrite', 'skip'],
  async setup({ collision }: { collision: CollisionPolicy }) {
    const dir = await mkdtemp(join(tmpdir(), 'fs-remote-dst-'));
    const root = join(dir, 'dst');
    const link = await startLink({ role: 'target', device: localTargetSchema.parse({ id: 'nas', type: 'local', dir: root, collision }), dataDir: dir });
    const client = new LinkClient(link);
    const d = await client.ask({ type: 'link.describe' });
    if (d.role !== 'target') throw new Error('expected a target link');
    return {
      target: createRemoteTarget(client, d.targetId, d.features),
      readStored: (location: string) => readFile(join(root, location)).then((b) => new Uint8Array(b), () => undefined),
      placeStored: async (path: string, bytes: Uint8Array) => {
        await mkdir(dirname(join(root, path)), { recursive: true });
        await writeFile(join(root, path), bytes);
      },
      cleanup: async () => {
        await link.shutdown(2_000);
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});

describe('remote source: the link restarts under a read', () => {
  it('fails the open read with a TransientError (not a permanent error that would fail the file)', async () => {
    const big = patternBytes(32 * 1024 * 1024, 7);
    const world = await sourceWorld({ 'big.bin': big });
    try {
      const reader = world.source.read('big.bin', 0)[Symbol.asyncIterator]();
      const first = await reader.next();
      expect(first.done).toBe(false);
      let received = first.value?.byteLength ?? 0;
      await world.link.kill();
      // Chunks already in flight when the link died (up to the stream's window) still arrive; the error comes after them.
      let err: unknown;
      for (let n = 0; n <= STREAM_WINDOW && err === undefined; n++) {
        const next = await reader.next().then(
          (r) => r,
          (e: unknown) => ((err = e), undefined),
        );
        if (next?.done) break;
        received += next?.value.byteLength ?? 0;
      }
      expect(received).toBeLessThan(big.byteLength);
      // Transient, so the downloader keeps its durable offset and tries again instead of failing the file.
      expect(isFilesyncError(err) && err.kind === 'transient').toBe(true);
    } finally {
      await world.cleanup();
    }
  });
});

describe('link: files sent side by side', () => {
  /** A target link on a local directory. */
  async function targetLink() {
    const dir = await mkdtemp(join(tmpdir(), 'fs-remote-side-'));
    const root = join(dir, 'dst');
    const link = await startActor<LinkActor>({
      id: 'link',
      module: LINK_ACTOR_MODULE,
      args: { role: 'target', device: localTargetSchema.parse({ id: 'nas', type: 'local', dir: root }), dataDir: dir, bus: dir },
    });
    const client = new LinkClient(link);
    const d = await client.ask({ type: 'link.describe' });
    if (d.role !== 'target') throw new Error('expected a target link');
    return {
      client,
      target: createRemoteTarget(client, d.targetId, d.features),
      root,
      cleanup: async () => {
        await link.shutdown(2_000);
        await rm(dir, { recursive: true, force: true });
      },
    };
  }

  it('a call waiting for its device does not hold up another asker: its reply is deferred, the mailbox goes on', async () => {
    const { client, cleanup } = await targetLink();
    try {
      const { port1, port2 } = new MessageChannel();
      const { handle } = await client.ask({ type: 'link.write-open', path: 'held.bin', offset: 0, port: port2 }, [port2]);
      // The write's end waits for data that has not come yet.
      const ended = client.call({ type: 'link.write-end', handle });
      await new Promise((r) => setTimeout(r, 50));
      // Held behind the write's end, the stat would wait for data that only comes after it.
      expect(await client.call({ type: 'link.stat', path: 'elsewhere.bin' })).toBeNull();
      await sendByteStream(port1, (async function* () { yield patternBytes(10, 1); })());
      await ended;
    } finally {
      await cleanup();
    }
  });

  it('a long device call is one ask: the link replies when it ends, no polling', async () => {
    const { client: plain, cleanup } = await targetLink();
    try {
      const asked: string[] = [];
      const client = new LinkClient({
        tell: (msg) => plain.link.tell(msg),
        ask: (msg, options) => {
          asked.push(msg.type);
          return plain.link.ask(msg, options);
        },
      });
      const { port1, port2 } = new MessageChannel();
      const { handle } = await client.ask({ type: 'link.write-open', path: 'slow.bin', offset: 0, port: port2 }, [port2]);
      // The write's end waits 600 ms for its data: polled, that was a dozen asks.
      const ended = client.call({ type: 'link.write-end', handle });
      await new Promise((r) => setTimeout(r, 600));
      await sendByteStream(port1, (async function* () { yield patternBytes(10, 4); })());
      await ended;
      expect(asked).toEqual(['link.write-open', 'link.write-end']);
    } finally {
      await cleanup();
    }
  });

  it('two writes to different paths open at once both land (the second does not cancel the first)', async () => {
    const { target, root, cleanup } = await targetLink();
    try {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => (release = r));
      const bytes = { 'a.bin': patternBytes(100_000, 2), 'b.bin': patternBytes(100_000, 3) };
      const held = async function* (data: Uint8Array): AsyncGenerator<Uint8Array> {
        yield data.subarray(0, 10);
        await gate;
        yield data.subarray(10);
      };
      const writes = Object.entries(bytes).map(([path, data]) => target.write(path, 0, held(data)));
      await new Promise((r) => setTimeout(r, 100));
      release();
      await Promise.all(writes);
      for (const [path, data] of Object.entries(bytes)) {
        const expected = { size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
        expect((await target.commit(path, expected)).outcome).toBe('committed');
        expect(new Uint8Array(await readFile(join(root, path)))).toEqual(data);
      }
    } finally {
      await cleanup();
    }
  });
});
