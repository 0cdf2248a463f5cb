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

/**
 * A long run's rounds, one JSON line each, appended (and flushed by the OS) as each round ends, so a
 * run cut short — a session's end, a reboot — goes on where it stopped: `--journal FILE` again with the
 * same scenario and round count. The summary then covers every round in the file.
 */
export function openJournal(file: string, wanted: Omit<JournalHeader, 'journal'>): Journal {
  let header: JournalHeader = { journal: 1, ...wanted };
  const done: RoundResult[] = [];
  if (existsSync(file)) {
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
    const parse = (line: string, n: number): unknown => {
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`${file}: line ${n + 1} is not JSON (a torn last line? remove it and run again)`);
      }
    };
    const first = parse(lines[0] ?? '{}', 0) as Partial<JournalHeader>;
    if (first.journal !== 1 || first.scenario !== wanted.scenario || first.rounds !== wanted.rounds) {
      throw new Error(`${file} is the journal of another run (${JSON.stringify(first)}); resume it with the same --scenario and --rounds, or name a new file`);
    }
    header = first as JournalHeader;
    lines.slice(1).forEach((l, n) => done.push(parse(l, n + 1) as RoundResult));
  } else {
    appendFileSync(file, `${JSON.stringify(header)}\n`);
  }
  return {
    header,
    done,
    append: (result) => appendFileSync(file, `${JSON.stringify(result)}\n`),
  };
}
