import { existsSync } from 'node:fs';
import { classifyError } from '@filesync/core';
import type { Config } from '@filesync/core/config';
import { openCatalogForReading } from '@filesync/store';
import { type Finding, fail, ok, warn } from './finding';

/** The catalog's soundness (SQLite's own check) and its latest event, for the clock check. */
export function checkCatalog(config: Config): { finding: Finding; latestEventAt?: number } {
  const path = config.store.path ?? `${config.dataDir}/catalog.db`;
  if (!existsSync(path)) return { finding: ok('catalog', `none yet at ${path}: the agent makes it when it first runs`) };
  let catalog;
  try {
    catalog = openCatalogForReading(path);
  } catch (err) {
    const error = classifyError(err);
    return { finding: fail('catalog', error.message, 'start the agent: it repairs the catalog from its WAL or last backup and re-scans the sources') };
  }
  try {
    const problems = catalog.checkIntegrity();
    const latestEventAt = catalog.latestEventAt();
    const at = latestEventAt === undefined ? {} : { latestEventAt };
    if (problems.length > 0) {
      return { ...at, finding: fail('catalog', `${path} fails SQLite's integrity check: ${problems.slice(0, 3).join('; ')}`, 'start the agent: it repairs the catalog from its WAL or last backup') };
    }
    const repair = catalog.lastRepair();
    if (repair !== undefined) {
      const when = new Date(repair.at).toISOString();
      return { ...at, finding: warn('catalog', `${path} is sound; it was repaired at ${when}: ${repair.reason} (${repair.action})`, 'if repairs recur, check the storage card and power supply') };
    }
    return { ...at, finding: ok('catalog', `${path} is sound`) };
  } finally {
    catalog.close();
  }
}
