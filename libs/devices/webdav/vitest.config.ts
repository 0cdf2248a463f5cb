import { defineProject } from 'vitest/config';

export default defineProject({
  // Specs start Debian's `rclone serve webdav` (and small node:http fakes) on 127.0.0.1, on a shared 2-core machine.
  test: { name: 'device-webdav', include: ['**/*.spec.ts'], exclude: ['**/node_modules/**'], testTimeout: 30_000, hookTimeout: 30_000 },
});
