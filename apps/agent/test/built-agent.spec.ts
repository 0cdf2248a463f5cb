import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { makeAgentWorld } from './agent-process';
import { repoRoot } from './cli';

interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<string, { imports: { path: string; kind?: string; external?: boolean }[]; entryPoint?: string; inputs?: Record<string, unknown> }>;
}

const COMPILERS = ['tsx', 'esbuild', 'typescript'];
const rootPackage = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

/**
 * The agent runs as built JavaScript (apps/agent/dist, made before the tests by tools/build-before-tests.ts):
 * no TypeScript compiler is bundled in or imported, and the built agent runs from a copy that sees
 * only the runtime `dependencies` of package.json, so nothing it loads (main thread or worker) can
 * reach tsx, esbuild or typescript.
 */
describe('the built agent', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('bundles no compiler and imports none', async () => {
    const meta = JSON.parse(await readFile(join(repoRoot, 'apps/agent/dist/meta.json'), 'utf8')) as Metafile;
    const inputs = Object.keys(meta.inputs);
    expect(inputs.filter((p) => COMPILERS.some((c) => p.includes(`node_modules/${c}/`)))).toEqual([]);
    const externals = new Set(Object.values(meta.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path)));
    // A scoped package's name has two segments (`@aws-sdk/client-s3`). Node's own modules count as none,
    // with or without `node:` (bundled CommonJS, better-sqlite3's, says `require('fs')`).
    const packages = [...externals].filter((p) => !isBuiltin(p)).map((p) => p.split('/').slice(0, p.startsWith('@') ? 2 : 1).join('/'));
    // Every package the built agent imports is a runtime dependency (pino-roll is loaded by pino by name).
    expect(packages.filter((p) => !(p in rootPackage.dependencies))).toEqual([]);
    expect(packages.filter((p) => COMPILERS.includes(p))).toEqual([]);
  });

  it('loads the AWS SDK only where an S3 target is opened: one chunk imports it, and every import of that chunk is dynamic', async () => {
    const meta = JSON.parse(await readFile(join(repoRoot, 'apps/agent/dist/meta.json'), 'utf8')) as Metafile;
    const sdkChunks = Object.entries(meta.outputs)
      .filter(([, o]) => o.imports.some((i) => i.external && i.path.startsWith('@aws-sdk/')))
      .map(([name]) => name);
    expect(sdkChunks).toHaveLength(1);
    // Reached only through `openTarget`'s import for an `s3` config (the link; `filesync doctor`'s probe), never statically.
    const importers = Object.entries(meta.outputs).flatMap(([name, o]) => o.imports.filter((i) => i.path === sdkChunks[0]).map((i) => ({ name, kind: i.kind })));
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((i) => i.kind !== 'dynamic-import')).toEqual([]);
  });

  it('loads prom-client only at the first scrape: every import of it is dynamic', async () => {
    const meta = JSON.parse(await readFile(join(repoRoot, 'apps/agent/dist/meta.json'), 'utf8')) as Metafile;
    const imports = Object.values(meta.outputs).flatMap((o) => o.imports.filter((i) => i.external && i.path === 'prom-client'));
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((i) => i.kind !== 'dynamic-import')).toEqual([]);
  });

  it('starts an actor thread without the config schemas: zod is in no output the worker entry, the link or a stage imports statically', async () => {
    const meta = JSON.parse(await readFile(join(repoRoot, 'apps/agent/dist/meta.json'), 'utf8')) as Metafile;
    /** The packages whose code a built output reaches through static imports (dynamic ones load a device only when opened), bundled or external. */
    const staticPackages = (output: string, seen = new Set<string>()): Set<string> => {
      const found = new Set<string>();
      if (seen.has(output)) return found;
      seen.add(output);
      // zod is bundled (one chunk loads faster than its 95 files): its code shows as inputs under node_modules/zod.
      for (const input of Object.keys(meta.outputs[output]?.inputs ?? {})) {
        const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
        if (pkg !== undefined) found.add(pkg);
      }
      for (const i of meta.outputs[output]?.imports ?? []) {
        if (i.kind === 'dynamic-import') continue;
        if (i.external) found.add(i.path);
        else for (const e of staticPackages(i.path, seen)) found.add(e);
      }
      return found;
    };
    const entries = ['worker-entry', 'link-actor', 'stage-actor'].map((name) => `apps/agent/dist/${name}.js`);
    // zod builds every schema at import: about 7 MiB of heap in each of the 16 actor threads of the demo.
    for (const entry of entries) expect([...staticPackages(entry)], entry).not.toContain('zod');
    // The check can fail: the config check, which validates the config, does reach it.
    const checkConfig = Object.keys(meta.outputs).filter((o) => Object.keys(meta.outputs[o]?.inputs ?? {}).includes('apps/agent/src/commands/check-config.ts'));
    expect(checkConfig).toHaveLength(1);
    expect([...staticPackages(checkConfig[0] ?? '')]).toContain('zod');
  });

  it('loads for status, ls and check-config none of the status server, the logger, the metrics, the glob matcher or the process spawner; serve loads fastify only at the first request', async () => {
    const meta = JSON.parse(await readFile(join(repoRoot, 'apps/agent/dist/meta.json'), 'utf8')) as Metafile;
    const staticExternals = (output: string, seen = new Set<string>()): Set<string> => {
      const found = new Set<string>();
      if (seen.has(output)) return found;
      seen.add(output);
      // Bundled packages (better-sqlite3's JavaScript, zod) count too: their code shows as inputs under node_modules.
      for (const input of Object.keys(meta.outputs[output]?.inputs ?? {})) {
        const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
        if (pkg !== undefined) found.add(pkg);
      }
      for (const i of meta.outputs[output]?.imports ?? []) {
        if (i.kind === 'dynamic-import') continue;
        if (i.external) found.add(i.path);
        else for (const e of staticExternals(i.path, seen)) found.add(e);
      }
      return found;
    };
    /** What the CLI's entry and a command's chunk load before the command runs (main.ts imports each command when it runs). */
    const loaded = (command: string): string[] => {
      const chunk = Object.keys(meta.outputs).find((o) => Object.keys(meta.outputs[o]?.inputs ?? {}).includes(`apps/agent/src/commands/${command}.ts`));
      expect(chunk, command).toBeDefined();
      return [...staticExternals('apps/agent/dist/filesync.js'), ...staticExternals(chunk ?? '')];
    };
    const unneeded = ['fastify', 'pino', 'sonic-boom', 'prom-client', 'picomatch', 'node:child_process'];
    for (const command of ['status', 'ls', 'check-config']) {
      expect(loaded(command).filter((e) => unneeded.includes(e) || e.startsWith('@aws-sdk/')), command).toEqual([]);
    }
    // The check can fail: serve loads them, and only check-config does without the catalog.
    expect(loaded('serve')).toContain('pino');
    // The status server's sockets are node:http; fastify loads at its first request (status-server.ts).
    expect(loaded('serve')).not.toContain('fastify');
    const fastifyImporters = Object.values(meta.outputs).filter((o) => o.imports.some((i) => i.path === 'fastify'));
    expect(fastifyImporters.length).toBeGreaterThan(0);
    const reachesFastify = new Set(Object.entries(meta.outputs).filter(([, o]) => fastifyImporters.includes(o)).map(([name]) => name));
    const dynamicOnly = Object.values(meta.outputs).flatMap((o) => o.imports.filter((i) => reachesFastify.has(i.path)));
    expect(dynamicOnly.length).toBeGreaterThan(0);
    expect(dynamicOnly.filter((i) => i.kind !== 'dynamic-import')).toEqual([]);
    expect(loaded('status')).toContain('better-sqlite3');
    expect(loaded('check-config')).not.toContain('better-sqlite3');
  });

  it('serves from a copy that can resolve only the runtime dependencies, workers included', async () => {
    const { dir, configFile } = await makeAgentWorld({ 'a/one.bin': 'one', 'two.bin': new Uint8Array(100_000).fill(3) });
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const app = join(dir, 'app');
    await cp(join(repoRoot, 'apps/agent/bin'), join(app, 'apps/agent/bin'), { recursive: true });
    await cp(join(repoRoot, 'apps/agent/dist'), join(app, 'apps/agent/dist'), { recursive: true });
    // `--version` reads it, as an installed agent would.
    await cp(join(repoRoot, 'apps/agent/package.json'), join(app, 'apps/agent/package.json'));
    await mkdir(join(app, 'node_modules'), { recursive: true });
    for (const name of Object.keys(rootPackage.dependencies)) {
      await mkdir(join(app, 'node_modules', name, '..'), { recursive: true });
      await symlink(join(repoRoot, 'node_modules', name), join(app, 'node_modules', name));
    }
    const bin = join(app, 'apps/agent/bin/filesync.js');
    const checked = await promisify(execFile)(process.execPath, [bin, 'check-config', configFile], { cwd: app });
    expect(checked.stdout).toContain('ok');
    const version = await promisify(execFile)(process.execPath, [bin, '--version'], { cwd: app });
    expect(version.stdout.trim()).toMatch(/^filesync \d+\.\d+\.\d+ \(node \d+\.\d+\.\d+\)$/);

    const agent = spawn(process.execPath, [bin, 'serve', '--config', configFile], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(async () => void (agent.exitCode === null && agent.kill('SIGKILL')));
    let stderr = '';
    let stdout = '';
    agent.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    agent.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => agent.once('exit', resolve));
    const delivered = join(dir, 'outbox/inbox/a/one.bin');
    const deadline = Date.now() + 45_000;
    let content: string | undefined;
    for (let i = 0; i < 450 && Date.now() < deadline && agent.exitCode === null && (content === undefined || !stdout.includes('serving')); i++) {
      content = await readFile(delivered, 'utf8').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(stderr).toBe('');
    expect(content).toBe('one');
    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The stop's last backup opened its copy with the bundled better-sqlite3 and found it sound.
    const logs = await Promise.all((await readdir(join(dir, 'logs'))).map((f) => readFile(join(dir, 'logs', f), 'utf8')));
    expect(logs.join('')).toContain('store backup written');
    expect(logs.join('')).not.toMatch(/backup failed/);
    expect((await readdir(dir)).filter((f) => /^catalog\.db\.backup-\d+$/.test(f))).not.toEqual([]);
  }, 60_000);
});
