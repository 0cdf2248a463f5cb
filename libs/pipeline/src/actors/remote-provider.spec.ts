import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Source } from '@filesync/core';
import { diskSourceSchema } from '@filesync/core/config';
import { startActor } from '@filesync/actors';
import { describe, expect, it } from 'vitest';
import { LinkClient } from './link-client';
import { LINK_ACTOR_MODULE, type LinkActor } from './link-protocol';
import { createRemoteSourceProvider } from './remote-source';
import { openSignalBus } from './signal-bus';

async function until<T>(what: string, check: () => T | undefined): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('remote source provider (a drive behind its link)', () => {
  it('hands out the volume the link mounts as it appears, and undefined as it goes: the link tells the stage workers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-remote-drive-'));
    const volumes = join(dir, 'Volumes');
    await mkdir(volumes);
    await mkdir(join(dir, 'disk'));
    const bus = openSignalBus(dir);
    // A /Volumes-style mount table: a directory per mounted volume, named by its label.
    const device = diskSourceSchema.parse({ id: 'flir', type: 'disk', match: { label: 'CARD' }, mountTable: volumes, diskDir: join(dir, 'disk') });
    const link = await startActor<LinkActor>({ id: 'link', module: LINK_ACTOR_MODULE, args: { role: 'source', device, dataDir: dir, bus: dir } });
    try {
      const client = new LinkClient(link);
      const first = await client.ask({ type: 'link.describe' });
      if (first.role !== 'source') throw new Error('expected a source link');
      expect(first.sourceId).toBeUndefined();
      const seen: (Source | undefined)[] = [];
      const unwatch = createRemoteSourceProvider(client, first, bus).watch((volume) => seen.push(volume));
      expect(seen).toEqual([]);

      await mkdir(join(volumes, 'CARD'));
      await writeFile(join(volumes, 'CARD', 'a.bin'), 'abc');
      const volume = await until('the volume to be handed out', () => seen[0]);
      expect(volume.id).toMatch(/^flir:/);
      const entries = [];
      for await (const e of volume.list()) entries.push(e.path);
      expect(entries).toEqual(['a.bin']);

      await rm(join(volumes, 'CARD'), { recursive: true });
      await until('the volume to be taken back', () => (seen.length === 2 ? true : undefined));
      expect(seen[1]).toBeUndefined();
      unwatch();
    } finally {
      bus.close();
      await link.shutdown(2_000);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
