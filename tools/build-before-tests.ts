import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * vitest's global setup: builds the agent and the simulators (about a second each) before any test
 * runs, because the end-to-end, CLI and chaos tests start the built agent as a process, exactly as
 * production does. Built here rather than through Nx so the code under test is always the code on disk.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  for (const app of ['agent', 'simulators']) execFileSync(process.execPath, ['tools/build-app.mjs', app], { cwd: root, stdio: 'inherit' });
}
