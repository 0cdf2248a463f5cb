import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const nx = join(root, 'node_modules/.bin/nx');
const nxEnv = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };

describe('architecture arrows', () => {
  // The boundary rule reads Nx's cached project graph and silently skips without one (fresh clone).
  beforeAll(() => {
    execFileSync(nx, ['show', 'projects'], { cwd: root, env: nxEnv, stdio: 'pipe' });
  }, 120_000);

  it('lint fails when libs/core imports from libs/store', async () => {
    const eslint = new ESLint({ cwd: root });
    const probe = "import { openCatalog } from '@filesync/store';\nexport const probe = openCatalog;\n";
    const [result] = await eslint.lintText(probe, { filePath: join(root, 'libs/core/src/boundary-probe.ts') });
    const boundary = result?.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries') ?? [];
    expect(boundary.length).toBeGreaterThan(0);
  }, 60_000);

  it('lint accepts the same import from the agent', async () => {
    const eslint = new ESLint({ cwd: root });
    const probe = "import { openCatalog } from '@filesync/store';\nexport const probe = openCatalog;\n";
    const [result] = await eslint.lintText(probe, { filePath: join(root, 'apps/agent/src/boundary-probe.ts') });
    expect(result?.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries')).toEqual([]);
  }, 60_000);

  it('lint refuses memfs outside unit tests, and accepts it in a spec', async () => {
    const eslint = new ESLint({ cwd: root });
    const probe = "import { memFs } from '@filesync/core/testing/memfs';\nexport const probe = memFs;\n";
    const restricted = async (file: string) => {
      const [result] = await eslint.lintText(probe, { filePath: join(root, file) });
      return result?.messages.filter((m) => m.ruleId === 'no-restricted-imports') ?? [];
    };
    expect(await restricted('libs/devices/local/src/memfs-probe.ts')).toHaveLength(1);
    expect(await restricted('libs/devices/local/src/memfs-probe.spec.ts')).toEqual([]);
  }, 60_000);

  it('nx graph shows core with no dependencies and the libraries above it pointing at it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-graph-'));
    try {
      const file = join(dir, 'graph.json');
      execFileSync(nx, ['graph', `--file=${file}`], { cwd: root, env: nxEnv, stdio: 'pipe' });
      const graph = JSON.parse(readFileSync(file, 'utf8')) as { graph: { dependencies: Record<string, { target: string }[]> } };
      const deps = (p: string) => (graph.graph.dependencies[p] ?? []).map((d) => d.target).sort();
      expect(deps('core')).toEqual([]);
      expect(deps('store')).toEqual(['core']);
      expect(deps('actors')).toEqual(['core']);
      expect(deps('agent')).toEqual(expect.arrayContaining(['core', 'store', 'actors']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
