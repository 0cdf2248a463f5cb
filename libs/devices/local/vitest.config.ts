import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'device-local', include: ['**/*.spec.ts'], exclude: ['**/node_modules/**'] },
});
