import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'device-disk',
    include: ['**/*.spec.ts'],
    exclude: ['**/node_modules/**'],
    // Specs start the flash simulator as a child process (tsx): allow for a busy 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
