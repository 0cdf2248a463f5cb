import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCatalog } from './open-catalog';
import { openCatalogForReading } from './open-for-reading';
import { identity, tempDirs } from './testing/fixtures';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

describe('openCatalogForReading', () => {
  it('reads a store while the writer has it open, and sees its commits', () => {
    const path = join(dirs.make(), 'catalog.db');
    const { catalog: writer } = openCatalog(path);
    const reader = openCatalogForReading(path);
    const { fileId } = writer.recordFound(identity(1), ['ftp']);
    expect(reader.getFile(fileId)?.state).toBe('found');
    writer.transitionFile(fileId, 'downloading');
    expect(reader.counts().files.downloading).toBe(1);
    reader.close();
    writer.close();
  });

  it('never repairs: a damaged store is reported and left where it is', () => {
    const dir = dirs.make();
    const path = join(dir, 'catalog.db');
    writeFileSync(path, Buffer.alloc(8192, 1));
    expect(() => openCatalogForReading(path)).toThrow(expect.objectContaining({ code: 'corrupt', message: expect.stringMatching(/is damaged/) }));
    expect(readdirSync(dir)).toEqual(['catalog.db']);
  });

  it('says so when there is no store', () => {
    expect(() => openCatalogForReading(join(dirs.make(), 'none.db'))).toThrow(expect.objectContaining({ code: 'not-found' }));
  });
});
