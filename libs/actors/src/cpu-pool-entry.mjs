// The piscina worker file. As for actors, Node 20 would not apply `--import tsx` to a worker,
// so it registers tsx itself before loading the TypeScript task module.
import { register } from 'tsx/esm/api';

register();
const tasks = await import('./cpu-tasks.ts');

export default tasks.default;
