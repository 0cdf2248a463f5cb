import { defineConfig } from 'vitest/config';

// Each project keeps its own vitest.config.ts (name, timeouts); this file only gathers them, and
// builds the agent and simulators once before a run (tools/build-before-tests.ts).
export default defineConfig({
  test: {
    globalSetup: ['tools/build-before-tests.ts'],
    projects: [
      'libs/*/vitest.config.ts',
      'libs/devices/*/vitest.config.ts',
      'apps/*/vitest.config.ts',
      'simulators/vitest.config.ts',
      'tools/*/vitest.config.ts',
    ],
  },
});
