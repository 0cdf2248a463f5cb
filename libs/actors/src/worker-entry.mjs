// The entry of every actor worker. Node 20 does not apply a worker's `--import` hooks to its
// entry module (tried: ERR_UNKNOWN_FILE_EXTENSION), so the worker registers tsx itself, then
// loads the TypeScript bootstrap. This works the same under vitest and under `node --import tsx`.
import { register } from 'tsx/esm/api';

register();
await import('./worker-bootstrap.ts');
