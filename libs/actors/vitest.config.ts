import { defineProject } from 'vitest/config';

// Tests start real worker threads (each compiles its module with tsx), so they get room on a
// loaded 2-core machine; no assertion depends on speed.
export default defineProject({
  test: { name: 'actors', include: ['**/*.spec.ts'], exclude: ['**/node_modules/**'], testTimeout: 60_000, hookTimeout: 30_000 },
});
