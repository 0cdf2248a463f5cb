import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'simulators', include: ['**/*.spec.ts'], exclude: ['**/node_modules/**'] },
});
