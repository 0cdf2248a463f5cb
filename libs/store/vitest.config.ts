import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'store', include: ['**/*.spec.ts'], exclude: ['**/node_modules/**'] },
});
