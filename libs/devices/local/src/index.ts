export { createLocalSource, type LocalSourceOptions } from './local-source';
export { createLocalTarget, type LocalTargetOptions } from './local-target';
export { createLocalStaging } from './local-staging';
export { readChunks, DEFAULT_CHUNK_BYTES } from './read-chunks';
export { fsyncDir, fsyncParent } from './durable-fs';
export { classify } from './errors';
