import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'device-ftp',
    include: ['**/*.spec.ts'],
    exclude: ['**/node_modules/**'],
    // Real servers on 127.0.0.1 (a child-process simulator, pyftpdlib, vsftpd) on a shared 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
