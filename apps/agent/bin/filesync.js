#!/usr/bin/env node
// The filesync CLI. The sources are TypeScript run through tsx (no build step on the device).
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
