import { defineProject } from 'vitest/config';

// Each simulator's main.spec starts it as a tsx child process: 4.7 s in a loaded CI check, next to vitest's 5 s default.
export default defineProject({
  test: { name: 'simulators', include: ['**/*.spec.ts'], exclude: ['**/node_modules/**'], testTimeout: 30_000 },
});
