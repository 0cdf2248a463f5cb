import { type Catalog, openCatalogForReading } from '@filesync/store';
import { loadConfigFile } from '../config-file';

/** Opens the catalog of the config the agent runs with, for reading beside it. */
export function readCatalog(configOption: string | undefined): Catalog {
  const { config } = loadConfigFile(configOption);
  return openCatalogForReading(config.store.path ?? `${config.dataDir}/catalog.db`);
}

/** Runs `fn` on the catalog and always closes it. */
export async function withCatalog<T>(configOption: string | undefined, fn: (catalog: Catalog) => T | Promise<T>): Promise<T> {
  const catalog = readCatalog(configOption);
  try {
    return await fn(catalog);
  } finally {
    catalog.close();
  }
}
