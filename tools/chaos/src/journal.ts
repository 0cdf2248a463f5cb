import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { RoundResult } from './round';

/** What a journal was started for; a resumed run must ask for the same. */
export interface JournalHeader {
  readonly journal: 1;
  readonly scenario: string;
  readonly seed: number;
  readonly rounds: number;
}

export interface Journal {
  readonly header: JournalHeader;
  /** Rounds already run, in order. */
  readonly done: readonly RoundResult[];
  append(result: RoundResult): void;
}

/** A journal as it is on disk: what it was started for and the rounds run so far. */
export interface JournalContents {
  readonly header: JournalHeader;
  readonly done: RoundResult[];
}

/** Reads a journal file; undefined when there is none yet. */
export function readJournal(file: string): JournalContents | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const parse = (line: string, n: number): unknown => {
    try {
      return JSON.parse(line);
    } catch {
      throw new Error(`${file}: line ${n + 1} is not JSON (a torn last line? remove it and run again)`);
    }
  };
  const header = parse(lines[0] ?? '{}', 0) as Partial<JournalHeader>;
  if (header.journal !== 1 || typeof header.scenario !== 'string' || typeof header.rounds !== 'number' || typeof header.seed !== 'number') {
    throw new Error(`${file} is not a chaos journal (its first line is ${JSON.stringify(header)})`);
  }
  return { header: header as JournalHeader, done: lines.slice(1).map((l, n) => parse(l, n + 1) as RoundResult) };
}

/**
 * A long run's rounds, one JSON line each, appended (and flushed by the OS) as each round ends, so a
 * run cut short — a session's end, a reboot — goes on where it stopped: `--journal FILE` again with the
 * same scenario and round count. The summary then covers every round in the file.
 */
export function openJournal(file: string, wanted: Omit<JournalHeader, 'journal'>): Journal {
  const found = readJournal(file);
  if (found && (found.header.scenario !== wanted.scenario || found.header.rounds !== wanted.rounds)) {
    throw new Error(`${file} is the journal of another run (${JSON.stringify(found.header)}); resume it with the same --scenario and --rounds, or name a new file`);
  }
  if (!found) appendFileSync(file, `${JSON.stringify({ journal: 1, ...wanted })}\n`);
  return {
    header: found?.header ?? { journal: 1, ...wanted },
    done: found?.done ?? [],
    append: (result) => appendFileSync(file, `${JSON.stringify(result)}\n`),
  };
}
