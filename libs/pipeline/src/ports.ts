import type { Catalog } from '@filesync/store';

/**
 * What the workers need of the catalog. Every call is awaited, so the same worker code runs on a
 * catalog connection of its own or on one reached through messages.
 */
export type CatalogPort = {
  [K in
    | 'recordFound'
    | 'recordFoundBatch'
    | 'recordRewrittenInPlace'
    | 'transitionFile'
    | 'recordDownloadProgress'
    | 'followGrowth'
    | 'transitionTarget'
    | 'completeTarget'
    | 'recordUploadProgress'
    | 'getFile'
    | 'listFiles'
    | 'foundInOrder'
    | 'nextOwed'
    | 'targetsOf'
    | 'getTarget']: (...args: Parameters<Catalog[K]>) => ReturnType<Catalog[K]> | Promise<ReturnType<Catalog[K]>>;
};

/** The few logging calls the workers make; pino's logger fits it. */
export interface PipelineLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const silentLogger: PipelineLogger = { info() {}, warn() {}, error() {}, debug() {} };
