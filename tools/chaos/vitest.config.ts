import { defineProject } from 'vitest/config';

// One short seeded round of every scenario against the real agent process and real simulators,
// two at a time: a round mostly waits (bandwidth caps, outages, agent restarts), so two share 2 cores well.
export default defineProject({
  test: { name: 'chaos', include: ['src/**/*.spec.ts'], exclude: ['**/node_modules/**'], testTimeout: 300_000, hookTimeout: 60_000, maxConcurrency: 2 },
});
