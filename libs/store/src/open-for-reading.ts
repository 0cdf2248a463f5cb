import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PermanentError } from '@filesync/core';
import { Catalog } from './catalog';
import { classifyStoreError, damageOf, openConnection } from './connection';

/**
 * Opens an existing catalog beside a running agent (for `status`, `ls`, `export`): no repair, no
 * migration, nothing moved aside — only the agent at start-up may do that. WAL lets this reader run
 * while the agent writes.
 */
export function openCatalogForReading(path: string): Catalog {
  const storePath = resolve(path);
  if (!existsSync(storePath)) {
    throw new PermanentError('not-found', `no catalog at ${storePath}: has the agent run with this config?`);
  }
  try {
    return new Catalog(openConnection(storePath, { fileMustExist: true }), storePath);
  } catch (err) {
    const damage = damageOf(err);
    if (damage !== undefined) {
      throw new PermanentError('corrupt', `the catalog at ${storePath} is damaged (${damage}); the agent repairs it when it starts`);
    }
    throw classifyStoreError(err, storePath);
  }
}
