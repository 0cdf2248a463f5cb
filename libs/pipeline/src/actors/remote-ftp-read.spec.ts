import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ftpSourceSchema } from '@filesync/core';
import { startActor } from '@filesync/actors';
import { describe, expect, it } from 'vitest';
import { LinkClient } from './link-client';
import { LINK_ACTOR_MODULE, type LinkActor } from './link-protocol';
import { createRemoteSource } from './remote-source';
import { startFtpSim } from '../testing/ftp-simulator';

describe('remote source on an FTP link: a read closed between chunks', () => {
  it('is taken up again by the next read from that offset, so the camera sends no byte twice (a downloader slice ending on time)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-remote-ftp-'));
    await mkdir(join(dir, 'cam', 'dcim'), { recursive: true });
    const bytes = randomBytes(4 * 1024 * 1024);
    await writeFile(join(dir, 'cam', 'dcim', 'clip.mp4'), bytes);
    const { ready, child } = await startFtpSim(join(dir, 'cam'));
    const device = ftpSourceSchema.parse({ id: 'camera', type: 'ftp', url: ready['ftp'], user: 'u', password: 'p' });
    const link = await startActor<LinkActor>({ id: 'link', module: LINK_ACTOR_MODULE, args: { role: 'source', device, dataDir: dir, bus: dir } });
    try {
      const client = new LinkClient(link);
      const d = await client.ask({ type: 'link.describe' });
      if (d.role !== 'source' || d.sourceId === undefined || d.features === undefined) throw new Error('expected a source link');
      const source = createRemoteSource(client, d.sourceId, d.features);
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
      const stats = (await (await fetch(`${ready['control']}/stats`)).json()) as { sent: Record<string, number> };
      expect(stats.sent['/dcim/clip.mp4']).toBe(bytes.length);
    } finally {
      await link.shutdown(2_000);
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
