import type { Config } from '@filesync/core/config';
import { type Catalog, openCatalogForReading } from '@filesync/store';

/** Runs `fn` on the catalog of the config the agent runs with (opened for reading beside it), and always closes it. */
export async function withCatalog<T>(config: Config, fn: (catalog: Catalog) => T | Promise<T>): Promise<T> {
  const catalog = openCatalogForReading(config.store.path ?? `${config.dataDir}/catalog.db`);
  try {
    return await fn(catalog);
  } finally {
    catalog.close();
  }
}
