import type { Database } from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, REQUIRED_TABLES, schemaVersion } from './migrations';

/**
 * Runs `PRAGMA integrity_check` and returns its complaints (empty when the store is sound).
 * The full check rather than `quick_check`: it also proves each index matches its table, and a stale
 * index would make the catalog lie quietly (a dedupe lookup missing a copy, a state list missing a
 * file). A catalog holds thousands of rows, so the full check costs milliseconds at start-up.
 */
export function integrityProblems(db: Database, maxErrors = 10): string[] {
  const rows = db.pragma(`integrity_check(${Math.max(1, Math.trunc(maxErrors))})`) as { integrity_check: string }[];
  const messages = rows.map((r) => r.integrity_check);
  return messages.length === 1 && messages[0] === 'ok' ? [] : messages;
}

/**
 * What makes this database unusable as a catalog, or undefined when it is one: a failed integrity
 * check, a schema version this build does not know, or a missing table. SQLite errors (not a
 * database, malformed) propagate to the caller.
 */
export function storeProblem(db: Database): string | undefined {
  const problems = integrityProblems(db);
  if (problems.length > 0) return `integrity check failed: ${problems.slice(0, 3).join('; ')}`;
  const version = schemaVersion(db);
  if (version === 0) return 'not a filesync catalog (schema version 0: empty, truncated or never initialised)';
  if (version > LATEST_SCHEMA_VERSION) return `schema version ${version} is newer than this build knows (${LATEST_SCHEMA_VERSION})`;
  const tables = new Set(
    (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name),
  );
  const missing = REQUIRED_TABLES.filter((t) => !tables.has(t));
  return missing.length > 0 ? `tables missing: ${missing.join(', ')}` : undefined;
}
