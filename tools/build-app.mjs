// Builds one app (`node tools/build-app.mjs agent|simulators`) into `<app>/dist` with esbuild.
//
// esbuild rather than tsc: the workspace libraries export their TypeScript sources
// (`"exports": "./src/index.ts"`), so tsc would have to emit every library and rewrite every
// package's exports to point at its output; esbuild bundles the workspace code into each entry in
// one pass (about a second), leaves npm packages to node_modules, and with `splitting` each worker
// entry (an actor module) pulls only the chunks it reaches, so a thread loads only what it uses.
// Types are checked by `npm run typecheck`, not here.
//
// An actor thread is started from a module URL (`new URL('./link-actor.ts', import.meta.url)`),
// which no bundler rewrites: the plugin below points such URLs at the built entry of that module,
// and any other file URL (a config file, a helper script) at the same file seen from `dist/`.
// Every output lands flat in `dist/`, so `import.meta.url` means the same directory in any chunk.
import { build } from 'esbuild';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const at = (p) => join(ROOT, p);

/** Per app: `entries` become `dist/<name>.js`; `aliases` are other sources that mean that entry. */
const APPS = {
  agent: {
    entries: {
      filesync: at('apps/agent/src/main.ts'),
      'worker-entry': at('libs/actors/src/worker-bootstrap.ts'),
      'link-actor': at('libs/pipeline/src/actors/link-actor.ts'),
      'stage-actor': at('apps/agent/src/actors/stage-actor.ts'),
    },
    // Under vitest a worker starts from worker-entry.mjs, which registers tsx; built, it starts from the bootstrap.
    aliases: { [at('libs/actors/src/worker-entry.mjs')]: 'worker-entry' },
    // esbuild turns a bundled CommonJS `require('fs')` (better-sqlite3's) into a call that needs a
    // `require` in scope, which an ES module has not: each output gets one. (Not for the simulators:
    // one of their sources declares its own top-level `require`.)
    banner: "import { createRequire as __filesyncCreateRequire } from 'node:module'; const require = __filesyncCreateRequire(import.meta.url);",
  },
  simulators: {
    entries: {
      px4: at('simulators/px4/main.ts'),
      flash: at('simulators/flash/main.ts'),
      ftp: at('simulators/ftp/main.ts'),
      'flight-review': at('simulators/flight-review/main.ts'),
      s3: at('simulators/s3/main.ts'),
    },
    aliases: {},
  },
};

const FILE_URL = /new URL\((['"])(\.{1,2}\/[^'"]*)\1,\s*import\.meta\.url\)/g;

function fileUrlsPlugin(outdir, builtName) {
  return {
    name: 'file-urls',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        const contents = source.replace(FILE_URL, (_all, _q, rel) => {
          const target = resolve(dirname(args.path), rel);
          const name = builtName.get(target);
          const fromDist = name === undefined ? relative(outdir, target) : `${name}.js`;
          const suffix = rel.endsWith('/') && !fromDist.endsWith('/') ? '/' : '';
          return `new URL(${JSON.stringify(`./${fromDist}${suffix}`)}, import.meta.url)`;
        });
        return { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * Workspace packages (`@filesync/*`) are bundled, and comlink (tiny, loaded by every actor thread, and
 * imported through a deep path that only a bundler resolves), and zod: from node_modules it is 95 ES
 * modules (every locale among them) that each CLI command resolves and links one by one, about half
 * of `filesync check-config`'s CPU; bundled through `import * as z`, only the parts the schemas use
 * remain, in one chunk. And better-sqlite3's JavaScript (its addon stays a file): imported from
 * node_modules it is 14 CommonJS files that every thread opening the catalog (12 in the demo) resolved,
 * read and compiled one by one, about 10 ms of CPU each; bundled, about 3 ms. Its `require`s of Node's
 * modules need a `require` in the output (the agent's banner below). Every other package stays in
 * node_modules.
 */
const BUNDLED = /^(@filesync\/|comlink(\/|$)|zod(\/|$)|better-sqlite3(\/|$))/;
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    // better-sqlite3 finds its addon with `bindings` when not given `nativeBinding` (the store gives it:
    // libs/store/src/native-binding.ts). Bundled, `bindings` would search from dist/: this stand-in
    // loads the addon from better-sqlite3's package, where npm (or a Debug build) puts it.
    b.onResolve({ filter: /^bindings$/ }, (args) => (args.importer.includes('/node_modules/better-sqlite3/') ? { path: 'bindings', namespace: 'sqlite-addon' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'sqlite-addon' }, () => ({
      contents: `module.exports = (name) => {
  const found = ['Release', 'Debug'].map((build) => { try { return require.resolve('better-sqlite3/build/' + build + '/' + name); } catch { return undefined; } }).find((p) => p !== undefined);
  if (found === undefined) throw new Error("better-sqlite3's addon " + name + ' is in neither build/Release nor build/Debug of its package');
  return require(found);
};`,
      loader: 'js',
    }));
    b.onResolve({ filter: /^[^./]/ }, (args) => (BUNDLED.test(args.path) ? undefined : { path: args.path, external: true }));
  },
};

const app = process.argv[2];
const spec = APPS[app];
if (spec === undefined) {
  console.error(`usage: node tools/build-app.mjs ${Object.keys(APPS).join('|')}`);
  process.exit(2);
}
const outdir = at(`${app === 'agent' ? 'apps/agent' : app}/dist`);
const builtName = new Map([...Object.entries(spec.entries).map(([name, src]) => [src, name]), ...Object.entries(spec.aliases)]);

await rm(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: spec.entries,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  metafile: true,
  chunkNames: 'chunk-[hash]',
  logLevel: 'warning',
  plugins: [externalPackages, fileUrlsPlugin(outdir, builtName)],
  ...(spec.banner ? { banner: { js: spec.banner } } : {}),
});
// What each output was made of: the build test reads it to prove no compiler is bundled in.
await writeFile(join(outdir, 'meta.json'), JSON.stringify(result.metafile));

// The status page's script, for the browser: one small minified file (no framework; the server
// renders the first view and this script only keeps it live), served by the agent from dist/page/.
if (app === 'agent') {
  await build({
    entryPoints: { app: at('apps/agent/src/page/client/main.ts') },
    outdir: join(outdir, 'page'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020', 'safari15'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
}
