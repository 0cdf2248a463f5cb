import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The slice of esbuild's API used here (esbuild is tsx's own engine, not a dependency of ours). */
interface EsbuildLike {
  build(options: Record<string, unknown>): Promise<unknown>;
}
interface ResolveArgs {
  path: string;
  importer: string;
  resolveDir: string;
  kind: string;
  pluginData?: unknown;
}
interface ResolveResult {
  path: string;
  external?: boolean;
  sideEffects?: boolean;
}
interface PluginBuild {
  onResolve(
    options: { filter: RegExp },
    callback: (args: ResolveArgs) => ResolveResult | undefined | Promise<ResolveResult | undefined>,
  ): void;
  resolve(path: string, options: { kind: string; resolveDir: string; pluginData: unknown }): Promise<{ path: string }>;
}

const require = createRequire(import.meta.url);
const INNER = Symbol('inner resolve');

/** `--import <tsx loader URL>`: resolved from this package, so it works from any working directory. */
export function tsxImportArgs(): string[] {
  return ['--import', pathToFileURL(require.resolve('tsx')).href];
}

/**
 * Bundles a TypeScript entry into one ESM file with tsx's esbuild, so that a child started hundreds of
 * times costs one plain `node` start (~0.1 s CPU) instead of tsx's loader thread resolving ~150
 * modules each time (~0.5 s CPU). better-sqlite3 stays external (native addon), at its absolute path
 * so the bundle runs from a temp directory. Core's modules are declared free of side effects (they
 * are: constants, classes, functions, schemas), which lets esbuild drop the config schema and zod,
 * a third of the start-up cost, since the store does not use them.
 */
export async function bundleForNode(entry: string, outDir: string): Promise<string> {
  const esbuildPath = createRequire(require.resolve('tsx')).resolve('esbuild');
  const esbuild = (await import(pathToFileURL(esbuildPath).href)) as EsbuildLike;
  const sqlite = require.resolve('better-sqlite3');
  let coreDir: string | undefined;
  const outfile = join(outDir, 'child.mjs');
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    plugins: [
      {
        name: 'native-sqlite',
        setup(build: PluginBuild) {
          build.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: sqlite, external: true }));
          build.onResolve({ filter: /^@filesync\/core$/ }, async (args) => {
            if (args.pluginData === INNER) return undefined; // let esbuild resolve it the normal way
            const { path } = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: INNER });
            coreDir = dirname(path) + sep;
            return { path, sideEffects: false };
          });
          // Core imports its own modules extensionless and relative (the repo's convention).
          build.onResolve({ filter: /^\.\.?\// }, (args) => {
            if (coreDir === undefined || !args.importer.startsWith(coreDir)) return undefined;
            const base = resolve(args.resolveDir, args.path);
            const file = [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
            return file === undefined ? undefined : { path: file, sideEffects: false };
          });
        },
      },
    ],
  });
  return outfile;
}
