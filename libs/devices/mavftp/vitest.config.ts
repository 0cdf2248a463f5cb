import { defineProject } from 'vitest/config';

// End-to-end specs start the PX4 simulator as a child process; give them room on a shared 2-core box.
export default defineProject({
  test: {
    name: 'device-mavftp',
    include: ['**/*.spec.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
