import { defineProject } from 'vitest/config';

export default defineProject({
  // Specs start s3rver on 127.0.0.1 and, for the crash test, an uploading child process.
  test: { name: 'device-s3', include: ['**/*.spec.ts'], exclude: ['**/node_modules/**'], testTimeout: 60_000, hookTimeout: 30_000 },
});
