import { describe, expect, it } from 'vitest';
import { type DirEntry, packDirEntries, parseDirEntries } from './dir-entries';
import { MAX_DATA } from './payload';

describe('directory entries', () => {
  it('packs and parses files, directories and skips as PX4 lists them', () => {
    const entries: DirEntry[] = [
      { kind: 'skip' },
      { kind: 'dir', name: '2026-11-20' },
      { kind: 'file', name: '10_31_07.ulg', size: 123456 },
    ];
    const { data, count } = packDirEntries(entries);
    expect(count).toBe(3);
    expect(new TextDecoder().decode(data)).toBe('S\0D2026-11-20\0F10_31_07.ulg\t123456\0');
    expect(parseDirEntries(data)).toEqual(entries);
  });

  it('adds the mtime to file entries for ListDirectoryWithTime', () => {
    const { data } = packDirEntries([{ kind: 'file', name: 'a.ulg', size: 5, mtimeSec: 1795000000 }], true);
    expect(new TextDecoder().decode(data)).toBe('Fa.ulg\t5\t1795000000\0');
    expect(parseDirEntries(data)).toEqual([{ kind: 'file', name: 'a.ulg', size: 5, mtimeSec: 1795000000 }]);
  });

  it('packs only whole entries into 239 bytes, leaving the rest for the next offset', () => {
    const many: DirEntry[] = Array.from({ length: 40 }, (_, i) => ({ kind: 'file', name: `log${String(i).padStart(3, '0')}.ulg`, size: i * 1000 }));
    const { data, count } = packDirEntries(many);
    expect(data.length).toBeLessThanOrEqual(MAX_DATA);
    expect(count).toBeGreaterThan(5);
    expect(count).toBeLessThan(40);
    expect(parseDirEntries(data)).toEqual(many.slice(0, count));
  });
});
