#!/usr/bin/env node
// The filesync CLI: runs the built agent (`dist/`, made by `npx nx run agent:build`; `npm start`
// builds it first). Nothing here compiles TypeScript: the agent and its worker threads load JavaScript.
import { existsSync } from 'node:fs';

const built = new URL('../dist/filesync.js', import.meta.url);
if (!existsSync(built)) {
  console.error('filesync: the agent is not built (no apps/agent/dist/filesync.js): run `npx nx run agent:build` in the repository first');
  process.exit(2);
}
// `filesync ls | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { runCli } = await import(built.href);
process.exitCode = await runCli(process.argv.slice(2));
