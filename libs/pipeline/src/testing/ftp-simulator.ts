import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// The FTP simulator as a process (this project may not import simulators).
const SIM_MAIN = fileURLToPath(new URL('../../../../simulators/ftp/main.ts', import.meta.url));

/** Starts the FTP simulator serving `root` (user `u`, password `p`) and waits for its ready line. */
export async function startFtpSim(root: string): Promise<{ ready: Record<string, string>; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SIM_MAIN, '--port', '0', '--root', root, '--no-seed', '--user', 'u', '--password', 'p'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const ready = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('ftp simulator not ready in 20 s')), 20_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as Record<string, string>);
    });
  });
  return { ready, child };
}
