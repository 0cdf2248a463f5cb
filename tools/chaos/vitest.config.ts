import { defineProject } from 'vitest/config';

// One short seeded round of every scenario against the real agent process and real simulators.
export default defineProject({
  test: { name: 'chaos', include: ['src/**/*.spec.ts'], exclude: ['**/node_modules/**'], testTimeout: 240_000, hookTimeout: 60_000 },
});
