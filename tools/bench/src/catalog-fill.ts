import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { openCatalog } from '@filesync/store';

/**
 * Makes the catalog at `path` (as the agent would) and writes `files` files into it as delivered from
 * `sourceId` to `targetId`, each with the four events of its life: an agent that has moved that many
 * files. Rows go in by SQL in one transaction (through the Catalog API each would be a durable commit).
 */
export function fillDeliveredCatalog(path: string, files: number, sourceId: string, targetId: string): void {
  mkdirSync(dirname(path), { recursive: true });
  openCatalog(path).catalog.close();
  const db = new Database(path);
  try {
    const file = db.prepare(
      `INSERT INTO files (file_id, source_id, path, size, mtime_ms, state, download_offset, sha256, found_at, updated_at) VALUES (?, ?, ?, 34000, ?, 'delivered', 34000, ?, ?, ?)`,
    );
    const target = db.prepare(`INSERT INTO file_targets (file_id, target_id, state, offset, updated_at, size) VALUES (?, ?, 'uploaded', 34000, ?, 34000)`);
    const event = db.prepare(`INSERT INTO events (at, file_id, target_id, kind, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    const sha256 = 'a'.repeat(64);
    db.transaction(() => {
      for (let i = 0; i < files; i++) {
        const id = `filled-${String(i).padStart(8, '0')}`;
        file.run(id, sourceId, `d${i % 100}/file-${i}.bin`, i, sha256, i, i);
        target.run(id, targetId, i);
        event.run(i, id, null, 'file.found', null, 'found', null);
        event.run(i, id, null, 'file.state', 'found', 'staged', JSON.stringify({ sha256 }));
        event.run(i, id, targetId, 'target.state', 'pending', 'uploaded', JSON.stringify({ receipt: { location: `d/${i}`, outcome: 'committed' } }));
        event.run(i, id, null, 'file.state', 'staged', 'delivered', null);
      }
    })();
  } finally {
    db.close();
  }
}
