import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'actors', include: ['**/*.spec.ts'], exclude: ['**/node_modules/**'] },
});
