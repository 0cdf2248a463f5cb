import { isFilesyncError } from '@filesync/core';
import { ConfigError } from '@filesync/core/config';

/** Where commands write; tests pass their own. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** On a terminal: moves up over the previous frame's `previous` lines, clears them, writes `lines`. */
export function terminalRedraw(lines: readonly string[], previous: number): void {
  const up = previous > 0 ? `\x1b[${previous}A\x1b[J` : '';
  const width = process.stdout.columns ?? 120;
  // Long lines would wrap and break the count of lines to move up over: cut them to the width.
  process.stdout.write(`${up}${lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l)).join('\n')}\n`);
}

/** Exit codes: 1 for a fault while running, 2 for bad input (config, arguments). */
export const EXIT_FAULT = 1;
export const EXIT_BAD_INPUT = 2;

/**
 * Prints an error the way a person can act on, without a stack trace for expected faults
 * (FILESYNC_DEBUG=1 shows stacks for everything). Returns the exit code.
 */
export function reportError(err: unknown, io: CliIo): number {
  if (err instanceof ConfigError) {
    io.err(err.message);
    io.err('Fix the fields above; `filesync check-config FILE` checks a config without starting anything.');
    return EXIT_BAD_INPUT;
  }
  if (isFilesyncError(err)) {
    io.err(`filesync: ${err.message} (${err.kind} ${err.code})`);
    if (err.code === 'bad-request') return EXIT_BAD_INPUT;
  } else {
    io.err(`filesync: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (process.env['FILESYNC_DEBUG'] === '1' && err instanceof Error && err.stack) io.err(err.stack);
  return EXIT_FAULT;
}
