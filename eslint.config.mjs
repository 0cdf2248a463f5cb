import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/**
 * The dependency arrows of docs/ARCHITECTURE (core ← store, actors ← devices ← pipeline ← agent;
 * simulators on core and device codecs only) are enforced by tags, not just drawn.
 */
const depConstraints = [
  { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:core'] },
  { sourceTag: 'type:store', onlyDependOnLibsWithTags: ['type:core'] },
  { sourceTag: 'type:actors', onlyDependOnLibsWithTags: ['type:core'] },
  { sourceTag: 'type:codec', onlyDependOnLibsWithTags: ['type:core'] },
  { sourceTag: 'type:device', onlyDependOnLibsWithTags: ['type:core', 'type:store', 'type:actors', 'type:codec'] },
  { sourceTag: 'type:pipeline', onlyDependOnLibsWithTags: ['type:core', 'type:store', 'type:actors', 'type:device', 'type:codec'] },
  { sourceTag: 'type:simulator', onlyDependOnLibsWithTags: ['type:core', 'type:codec'] },
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: ['type:core', 'type:store', 'type:actors', 'type:device', 'type:codec', 'type:pipeline'],
  },
  {
    sourceTag: 'type:tool',
    onlyDependOnLibsWithTags: ['type:core', 'type:store', 'type:actors', 'type:device', 'type:codec', 'type:pipeline', 'type:simulator', 'type:app'],
  },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/tmp/**', '.nx/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    plugins: { '@nx': nx },
    rules: {
      // Device modules are imported lazily by the link actor (a worker loads only its own device, which
      // keeps start-up cheap) and statically by tests and fixtures: both are meant, nothing is bundled.
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, allow: [], depConstraints, checkDynamicDependenciesExceptions: ['@filesync/device-*'] },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // memfs backs unit tests only: a device takes node:fs/promises unless a spec hands it memfs, and the
    // built agent must not carry memfs (a devDependency, absent from a production install).
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    ignores: ['**/*.spec.ts', '**/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'memfs', message: 'memfs is for unit tests (*.spec.ts, testing/) only.' },
            { name: '@filesync/core/testing/memfs', message: 'memfs is for unit tests (*.spec.ts, testing/) only.' },
          ],
        },
      ],
    },
  },
);
