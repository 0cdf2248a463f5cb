import { defineConfig } from 'vitest/config';

// Each project keeps its own vitest.config.ts (name, timeouts); this file only gathers them.
export default defineConfig({
  test: {
    projects: [
      'libs/*/vitest.config.ts',
      'libs/devices/*/vitest.config.ts',
      'apps/*/vitest.config.ts',
      'simulators/vitest.config.ts',
      'tools/*/vitest.config.ts',
    ],
  },
});
