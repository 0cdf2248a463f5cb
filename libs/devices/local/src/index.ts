export { createLocalSource, type LocalSourceOptions, type SourceFs } from './local-source';
export { createLocalTarget, type LocalTargetOptions, type TargetFs } from './local-target';
export { createLocalStaging, type LocalStagingOptions, type StagingFs } from './local-staging';
export { readChunks, DEFAULT_CHUNK_BYTES } from './read-chunks';
export { fsyncDir, fsyncParent } from './durable-fs';
export { classify } from './errors';
