import { createRequire } from 'node:module';

let found: { nativeBinding?: string } | undefined;

/**
 * better-sqlite3's addon where npm puts it, for the `nativeBinding` option. Without it better-sqlite3
 * finds it through `bindings`, which tries its candidate paths by requiring each and catching the
 * failures: about 5 ms of CPU in every thread that opens the catalog (12 in the agent's demo, and each
 * CLI command). Elsewhere (a Debug build) the option is left out and `bindings` searches as before.
 */
export function nativeBindingOption(): { nativeBinding?: string } {
  if (found === undefined) {
    try {
      found = { nativeBinding: createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node') };
    } catch {
      found = {};
    }
  }
  return found;
}
