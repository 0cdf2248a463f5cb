import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'agent', include: ['**/*.spec.ts'], exclude: ['**/node_modules/**'] },
});
