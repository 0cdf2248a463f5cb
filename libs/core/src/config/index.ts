export * from './common';
export * from './sources';
export * from './targets';
export * from './schema';
export * from './load';
export * from './secrets';
