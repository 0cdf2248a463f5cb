import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { type Source, type Target } from '@filesync/core';
import { type Config, type RouteConfig, parseConfig } from '@filesync/core/config';
import { createLocalSource, createLocalStaging, createLocalTarget } from '@filesync/device-local';
import { type Catalog, openCatalog } from '@filesync/store';

/** A temp world for pipeline tests: a real SQLite catalog, real directories, local devices. */
export interface World {
  readonly dir: string;
  readonly catalog: Catalog;
  readonly staging: ReturnType<typeof createLocalStaging>;
  sourceDir(id: string): string;
  targetDir(id: string): string;
  source(id: string): Source;
  target(id: string): Target;
  config(routes: ({ source: string; targets: string[] } & Partial<Omit<RouteConfig, 'source' | 'targets'>>)[]): Config;
  writeFiles(sourceId: string, files: Record<string, Uint8Array>): Promise<void>;
  /** Every regular file below a directory, as relative path → bytes. */
  readTree(dir: string): Promise<Map<string, Buffer>>;
  cleanup(): Promise<void>;
}

export async function makeWorld(): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'fs-pipeline-'));
  const { catalog } = openCatalog(join(dir, 'catalog.db'));
  const staging = createLocalStaging(join(dir, 'staging'));
  const world: World = {
    dir,
    catalog,
    staging,
    sourceDir: (id) => join(dir, 'sources', id),
    targetDir: (id) => join(dir, 'targets', id),
    source: (id) => createLocalSource({ id, dir: world.sourceDir(id) }),
    target: (id) => createLocalTarget({ id, dir: world.targetDir(id), collision: 'rename' }),
    config(routes) {
      const sources = [...new Set(routes.map((r) => r.source))].map((id) => ({ id, type: 'local', dir: world.sourceDir(id), pollIntervalSec: 0.05 }));
      const targets = [...new Set(routes.flatMap((r) => r.targets))].map((id) => ({ id, type: 'local', dir: world.targetDir(id) }));
      return parseConfig({ dataDir: dir, staging: { reserveBytes: 0, checkpointBytes: 64 * 1024 }, sources, targets, routes });
    },
    async writeFiles(sourceId, files) {
      for (const [path, bytes] of Object.entries(files)) {
        const file = join(world.sourceDir(sourceId), path);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, bytes);
      }
    },
    async readTree(root) {
      const out = new Map<string, Buffer>();
      const walk = async (d: string): Promise<void> => {
        for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
          const p = join(d, e.name);
          if (e.isDirectory()) await walk(p);
          else if ((await stat(p)).isFile()) out.set(relative(root, p), await readFile(p));
        }
      };
      await walk(root);
      return out;
    },
    async cleanup() {
      catalog.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return world;
}

/** Polls `check` until it is true; fails after `timeoutMs` (bounded in count and time). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 100_000; i++) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}
