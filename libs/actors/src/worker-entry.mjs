// The entry of every actor worker when the TypeScript sources run (vitest). Node 20 does not apply
// a worker's `--import` hooks to its entry module (tried: ERR_UNKNOWN_FILE_EXTENSION), so the worker
// registers tsx itself, then loads the TypeScript bootstrap. The built agent never loads this file:
// tools/build-app.mjs points this URL at dist/worker-entry.js, the bootstrap bundled.
import { register } from 'tsx/esm/api';

register();
await import('./worker-bootstrap.ts');
