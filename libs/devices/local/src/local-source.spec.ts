import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSourceConformance } from '@filesync/core/testing';
import { createLocalSource } from './local-source';

describeSourceConformance('local directory', {
  async setup(files) {
    const dir = await mkdtemp(join(tmpdir(), 'fs-local-src-'));
    for (const [path, bytes] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), bytes);
    }
    return { source: createLocalSource({ id: 'local', dir }), cleanup: () => rm(dir, { recursive: true, force: true }) };
  },
});

describe('local source listing and stat agree on mtime', () => {
  it('a file whose mtime is a hair under the next millisecond lists at the mtime stat gives (truncated, never rounded up)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-local-mtime-'));
    try {
      await writeFile(join(dir, 'f.bin'), 'x');
      // 0.999879 ms past a whole millisecond, to the nanosecond (node's utimes takes a double and lands
      // elsewhere; GNU touch sets the nanoseconds): a number's mtimeMs rounds it up, the nanoseconds do not.
      execFileSync('touch', ['-d', '@1796615369.188999879', join(dir, 'f.bin')]);
      const source = createLocalSource({ id: 'cam', dir });
      const listed: { mtimeMs: number }[] = [];
      for await (const entry of source.list()) listed.push(entry);
      const stat = await source.stat!('f.bin');
      expect(listed.map((e) => e.mtimeMs)).toEqual([stat.mtimeMs]);
      expect(stat.mtimeMs).toBe(1_796_615_369_188);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
