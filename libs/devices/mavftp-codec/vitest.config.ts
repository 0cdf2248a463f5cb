import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'mavftp-codec', include: ['**/*.spec.ts'], exclude: ['**/node_modules/**'] },
});
