import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openJournal, readJournal } from './journal';
import type { RoundResult } from './round';

describe('journal', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fs-chaos-journal-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const round = (seed: number): RoundResult => ({ seed, scenario: 'power-loss', seconds: 5 }) as unknown as RoundResult;

  it('goes on where a cut-short run stopped, with its seed', async () => {
    const file = join(dir, 'run.jsonl');
    const first = openJournal(file, { scenario: 'power-loss', seed: 7, rounds: 1000 });
    expect(first.done).toEqual([]);
    first.append(round(7));
    first.append(round(8));
    const again = openJournal(file, { scenario: 'power-loss', seed: 99, rounds: 1000 });
    expect(again.header.seed).toBe(7);
    expect(again.done.map((r) => r.seed)).toEqual([7, 8]);
  });

  it('refuses the journal of another run, naming the file', async () => {
    const file = join(dir, 'run.jsonl');
    openJournal(file, { scenario: 'power-loss', seed: 7, rounds: 1000 });
    expect(() => openJournal(file, { scenario: 'unplug', seed: 7, rounds: 1000 })).toThrow(/run\.jsonl is the journal of another run/);
  });

  it('is read as it is (--report) without asking for a run, and a file that is no journal is named', async () => {
    const file = join(dir, 'run.jsonl');
    expect(readJournal(file)).toBeUndefined();
    openJournal(file, { scenario: 'power-loss', seed: 7, rounds: 1000 }).append(round(7));
    expect(readJournal(file)).toEqual({ header: { journal: 1, scenario: 'power-loss', seed: 7, rounds: 1000 }, done: [round(7)] });
    const other = join(dir, 'notes.jsonl');
    await writeFile(other, '{"seed":7}\n');
    expect(() => readJournal(other)).toThrow(/notes\.jsonl is not a chaos journal/);
  });

  it('names a torn last line instead of losing the rounds before it', async () => {
    const file = join(dir, 'run.jsonl');
    openJournal(file, { scenario: 'power-loss', seed: 7, rounds: 10 }).append(round(7));
    await writeFile(file, `${await readFile(file, 'utf8')}{"seed":8,"sce`);
    expect(() => openJournal(file, { scenario: 'power-loss', seed: 7, rounds: 10 })).toThrow(/line 3 is not JSON/);
  });
});
