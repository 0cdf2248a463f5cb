import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Source } from '@filesync/core';
import { ftpSourceSchema } from '@filesync/core/config';
import { startActor } from '@filesync/actors';
import { describe, expect, it } from 'vitest';
import { LinkClient } from './link-client';
import { LINK_ACTOR_MODULE, type LinkActor } from './link-protocol';
import { createRemoteSource } from './remote-source';
import { startFtpSim } from '../testing/ftp-simulator';

/** A camera (the FTP simulator) holding `files` (name → bytes) under dcim/, its link worker, and the remote source a stage worker sees. */
async function withCameraLink(files: Record<string, Buffer>, test: (source: Source, control: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fs-remote-ftp-'));
  await mkdir(join(dir, 'cam', 'dcim'), { recursive: true });
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, 'cam', 'dcim', name), bytes);
  const { ready, child } = await startFtpSim(join(dir, 'cam'));
  // Two connections, two turns, as for the cameras of the chaos rounds.
  const device = ftpSourceSchema.parse({ id: 'camera', type: 'ftp', url: ready['ftp'], user: 'u', password: 'p' });
  const link = await startActor<LinkActor>({ id: 'link', module: LINK_ACTOR_MODULE, args: { role: 'source', device, dataDir: dir, bus: dir } });
  try {
    const client = new LinkClient(link);
    const d = await client.ask({ type: 'link.describe' });
    if (d.role !== 'source' || d.sourceId === undefined || d.features === undefined) throw new Error('expected a source link');
    await test(createRemoteSource(client, d.sourceId, d.features), String(ready['control']));
  } finally {
    await link.shutdown(2_000);
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

describe('remote source on an FTP link: a read closed between chunks', () => {
  it('is taken up again by the next read from that offset, so the camera sends no byte twice (a downloader slice ending on time)', async () => {
    const bytes = randomBytes(4 * 1024 * 1024);
    await withCameraLink({ 'clip.mp4': bytes }, async (source, control) => {
      const got: Buffer[] = [];
      let length = 0;
      for await (const chunk of source.read('dcim/clip.mp4', 0)) {
        got.push(Buffer.from(chunk));
        length += chunk.length;
        if (length >= 256 * 1024) break;
      }
      // The server runs ahead of the reader meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 300));
      for await (const chunk of source.read('dcim/clip.mp4', length)) got.push(Buffer.from(chunk));
      expect(Buffer.concat(got).equals(bytes)).toBe(true);
      const stats = (await (await fetch(`${control}/stats`)).json()) as { sent: Record<string, number> };
      expect(stats.sent['/dcim/clip.mp4']).toBe(bytes.length);
    });
  });
});

describe('remote source on an FTP link: reads under way while other calls wait for a connection', () => {
  it("an open read's next chunk never waits for a turn held by a listing and a stat that wait for the read's own connection", async () => {
    const size = 4 * 1024 * 1024;
    await withCameraLink({ 'a.mp4': randomBytes(size), 'b.mp4': randomBytes(size) }, async (source) => {
      // Both reads started: each holds one of the two connections between its chunks (the downloader's two steps).
      const reads = ['a.mp4', 'b.mp4'].map((name) => source.read(`dcim/${name}`, 0)[Symbol.asyncIterator]());
      for (const read of reads) expect((await read.next()).done).toBe(false);
      // The finder's listing and the cleaner's stat take both turns, and wait for a connection.
      const listing = (async () => {
        const names: string[] = [];
        for await (const entry of source.list()) names.push(entry.path);
        return names;
      })();
      const stat = source.stat?.('dcim/a.mp4');
      await new Promise((resolve) => setTimeout(resolve, 300));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'still waiting'>((resolve) => (timer = setTimeout(() => resolve('still waiting'), 5_000)));
      const next = await Promise.race([reads[0]!.next(), late]).finally(() => clearTimeout(timer));
      expect(next).not.toBe('still waiting');
      // The reads end (a slice done): their connections go to the listing and the stat.
      for (const read of reads) await read.return?.();
      expect((await listing).sort()).toEqual(['dcim/a.mp4', 'dcim/b.mp4']);
      expect(await stat).toMatchObject({ size });
    });
  });
});
