import { defineProject } from 'vitest/config';

// Smoke tests only: they check that benchmarks run and report, never how fast.
export default defineProject({
  test: { name: 'bench', include: ['src/**/*.spec.ts'], exclude: ['**/node_modules/**'], testTimeout: 120_000 },
});
