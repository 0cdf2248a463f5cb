#!/usr/bin/env node
// The filesync CLI. The sources are TypeScript run through tsx (no build step on the device).
import { register } from 'tsx/esm/api';

register();
// `filesync ls | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { runCli } = await import('../src/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
