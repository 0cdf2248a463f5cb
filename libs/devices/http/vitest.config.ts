import { defineProject } from 'vitest/config';

export default defineProject({
  // Specs start the Flight Review simulator as a child process (ARCHITECTURE.md, Conventions).
  test: { name: 'device-http', include: ['**/*.spec.ts'], exclude: ['**/node_modules/**'], testTimeout: 30_000, hookTimeout: 30_000 },
});
