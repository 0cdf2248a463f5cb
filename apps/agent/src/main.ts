import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { type CliIo, EXIT_BAD_INPUT, processIo, reportError, terminalRedraw } from './cli-io';

// Each command loads its own modules when it runs: `filesync status` must not pay for the agent's
// HTTP server, devices and actors (built, each of these imports is a chunk of its own).

/** The agent's version, from its package.json (the same file from `src/` and from the built `dist/`). */
function agentVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('filesync')
    .description('Moves files off hard-to-reach devices to their targets, surviving power loss and unplugs.')
    .version(`filesync ${agentVersion()} (node ${process.versions.node})`, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  const configOption = ['-c, --config <file>', 'config file (default: $FILESYNC_CONFIG; `filesync demo` needs none)'] as const;

  program
    .command('check-config')
    .argument('<file>', 'config file to check')
    .description('check a config file; prints one line per wrong field')
    .option('--check-secrets', 'also read every password and token file and variable the config names (never printed)')
    .action(async (file: string, opts: { checkSecrets?: boolean }) => setExit((await import('./commands/check-config')).checkConfig(file, io, { secrets: opts.checkSecrets === true })));

  program
    .command('serve')
    .description('run the agent until SIGTERM/SIGINT')
    .option(...configOption)
    .action(async (opts: { config?: string }) => setExit(await (await import('./commands/serve')).serve(opts.config, io)));

  program
    .command('demo')
    .description('run the agent against all simulators with a generated config (no hardware needed)')
    .option('--dir <dir>', 'where the demo keeps its files (wiped at start)')
    .option('--status-port <port>', 'status page port (0: any free port)', (v) => Number(v))
    .option('--duration <seconds>', 'stop after this long', (v) => Number(v))
    .action(async (opts: { dir?: string; statusPort?: number; duration?: number }) =>
      setExit(
        await (await import('./commands/demo')).demo(
          {
            ...(opts.dir === undefined ? {} : { dir: opts.dir }),
            ...(opts.statusPort === undefined ? {} : { statusPort: opts.statusPort }),
            ...(opts.duration === undefined ? {} : { durationSec: opts.duration }),
          },
          io,
        ),
      ),
    );

  program
    .command('status')
    .description('counts per state, per source and per target, from the live catalog')
    .option(...configOption)
    .option('--json', 'one JSON object, for scripts')
    .option('-w, --watch', 'a live view: transfers with progress, rate and ETA, device health; until Ctrl-C')
    .option('--interval <seconds>', 'with --watch: seconds between frames', (v) => Number(v), 1)
    .option('--frames <n>', 'with --watch: stop after this many frames', (v) => Number(v))
    .action(async (opts: { config?: string; json?: boolean; watch?: boolean; interval: number; frames?: number }) => {
      const commands = await import('./commands/status');
      if (opts.watch !== true) return setExit(await commands.status(opts.config, opts.json === true, io));
      const redraw = io === processIo && process.stdout.isTTY ? terminalRedraw : undefined;
      return setExit(await commands.statusWatch(opts.config, { intervalSec: opts.interval, ...(opts.frames === undefined ? {} : { frames: opts.frames }), ...(redraw ? { redraw } : {}) }, io));
    });

  program
    .command('doctor')
    .description('check config, secrets, each device, staging space, the clock and the catalog, with advice')
    .option(...configOption)
    .option('--json', 'one JSON object, for scripts')
    .option('--timeout <seconds>', 'how long to wait for each device', (v) => Number(v), 10)
    .action(async (opts: { config?: string; json?: boolean; timeout: number }) =>
      setExit(await (await import('./commands/doctor')).doctor(opts.config, { json: opts.json === true, timeoutSec: opts.timeout }, io)),
    );

  program
    .command('ls')
    .description('list files with their state and per-target progress')
    .option(...configOption)
    .option('--state <state>', 'only files in this state')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { config?: string; state?: string; json?: boolean }) =>
      setExit(await (await import('./commands/ls')).ls(opts.config, { json: opts.json === true, ...(opts.state === undefined ? {} : { state: opts.state }) }, io)),
    );

  program
    .command('retry')
    .description('queue failed files and failed uploads again (the running agent picks them up)')
    .option(...configOption)
    .option('--all', 'every failed file and upload')
    .argument('[fileIds...]', 'file ids, as `ls --json` shows them')
    .action(async (fileIds: string[], opts: { config?: string; all?: boolean }) => setExit(await (await import('./commands/retry')).retry(opts.config, { all: opts.all === true, ids: fileIds }, io)));

  program
    .command('mavftp')
    .description('talk to a MAVLink FTP endpoint for field debugging: ls|get|crc|rm (see --help of each)')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]')
    .action(async (args: string[]) => setExit(await (await import('@filesync/device-mavftp')).runMavftpCommand(args, { stdout: (t) => io.out(t.replace(/\n$/, '')), stderr: (t) => io.err(t.replace(/\n$/, '')) })));

  program
    .command('export')
    .description('export the catalog')
    .option(...configOption)
    .requiredOption('--csv', 'as CSV, one row per file and target')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (opts: { config?: string; output?: string }) => setExit(await (await import('./commands/export-csv')).exportCsv(opts.config, opts.output, io)));

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
