import { Command, CommanderError } from 'commander';
import { checkConfig } from './commands/check-config';
import { type CliIo, EXIT_BAD_INPUT, processIo, reportError } from './cli-io';

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('filesync')
    .description('Moves files off hard-to-reach devices to their targets, surviving power loss and unplugs.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('check-config')
    .argument('<file>', 'config file to check')
    .description('check a config file; prints one line per wrong field')
    .action((file: string) => setExit(checkConfig(file, io)));

  return program;
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    return reportError(err, io);
  }
  return code;
}
