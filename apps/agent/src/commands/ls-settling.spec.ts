import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '@filesync/core';
import { openCatalog } from '@filesync/store';
import { makeAgentWorld } from '../../test/agent-process';
import { runCaptured } from '../../test/cli';

describe('ls: a file found moments ago shows as settling (it may still be written)', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('shows a just-found version as settling with its size, and an old one as found', async () => {
    const { dir, configFile } = await makeAgentWorld({});
    dirs.push(dir);
    let now = Date.now() - 60_000;
    const { catalog } = openCatalog(join(dir, 'catalog.db'), { clock: { ...systemClock, now: () => now } });
    catalog.recordFound({ sourceId: 'inbox', path: 'old.bin', size: 3, mtimeMs: 1 }, ['outbox']);
    now = Date.now();
    catalog.recordFound({ sourceId: 'inbox', path: 'flight.ulg', size: 4096, mtimeMs: 2 }, ['outbox']);
    catalog.close();
    // settleSec defaults to 3 s: the second file is still settling.
    const listed = await runCaptured(['ls', '--config', configFile]);
    expect(listed.code).toBe(0);
    expect(listed.out.find((l) => l.includes('flight.ulg'))).toMatch(/^settling\s+inbox:flight\.ulg 4096 outbox:pending/);
    expect(listed.out.find((l) => l.includes('old.bin'))).toMatch(/^found\s+inbox:old\.bin 3 /);
    const json = await runCaptured(['ls', '--json', '--config', configFile]);
    const rows = json.out.map((l) => JSON.parse(l) as { path: string; settling: boolean });
    expect(rows.map((r) => [r.path, r.settling]).sort()).toEqual([
      ['flight.ulg', true],
      ['old.bin', false],
    ]);
  });
});
