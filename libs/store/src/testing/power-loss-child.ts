/**
 * Child of power-loss.spec.ts: opens a store and changes it as fast as it can, announcing each change
 * before its commit (`W`) and after the commit returned (`D`), until the parent kills it with SIGKILL.
 * Usage: node --import tsx power-loss-child.ts <store path> <seed>
 */
import { writeSync } from 'node:fs';
import { fileId } from '@filesync/core';
import { openCatalog } from '../open-catalog';
import type { FileRecord } from '../types';
import { TARGETS } from './power-loss-protocol';
import type { Intent } from './power-loss-protocol';
import { randomInt, seededRandom } from './prng';

// writeSync on fd 1: the line is in the pipe before the next commit starts (process.stdout may buffer).
const say = (line: string): void => {
  writeSync(1, `${line}\n`);
};

const [storePath, seedText] = process.argv.slice(2);
if (storePath === undefined || seedText === undefined) {
  process.stderr.write('usage: power-loss-child.ts <store> <seed>\n');
  process.exit(2);
}
const random = seededRandom(Number(seedText));
const { catalog, repair } = openCatalog(storePath);
if (repair !== undefined) {
  say(`REPAIR ${JSON.stringify(repair)}`);
  process.exit(3);
}
say('READY');

const ACTIVE = ['found', 'downloading', 'staged', 'delivered', 'failed'];
let created = 0;

function commit<T>(intent: Intent, change: () => T): T {
  say(`W ${JSON.stringify(intent)}`);
  const result = change();
  say('D');
  return result;
}

function step(): void {
  const active = catalog.listFiles().filter((f) => ACTIVE.includes(f.state));
  if (active.length < 4) {
    const identity = { sourceId: 'px4', path: `log/${seedText}-${created++}.ulg`, size: randomInt(random, 1, 64) * 4096, mtimeMs: 1 };
    return void commit({ op: 'found', f: fileId(identity), targets: TARGETS }, () => catalog.recordFound(identity, TARGETS));
  }
  const file = active[randomInt(random, 0, active.length - 1)]!;
  moveFile(file);
}

function moveFile(file: FileRecord): void {
  const f = file.fileId;
  const fileOp = (s: string, o: number, e: 0 | 1, change: () => unknown): void => void commit({ op: 'file', f, s, o, e }, change);
  switch (file.state) {
    case 'found':
      return fileOp('downloading', file.downloadOffset, 1, () => catalog.transitionFile(f, 'downloading'));
    case 'failed':
      return fileOp('found', file.downloadOffset, 1, () => catalog.transitionFile(f, 'found'));
    case 'downloading': {
      const roll = random();
      if (roll < 0.04) return fileOp('failed', file.downloadOffset, 1, () => catalog.transitionFile(f, 'failed', { reason: 'EIO' }));
      if (roll < 0.08 && file.downloadOffset > 0) {
        const o = Math.floor(file.downloadOffset / 2);
        return fileOp('downloading', o, 1, () => catalog.recordDownloadProgress(f, o, { reset: true }));
      }
      if (file.downloadOffset < file.size) {
        const o = Math.min(file.size, file.downloadOffset + randomInt(random, 1, 8) * 4096);
        return fileOp('downloading', o, 0, () => catalog.recordDownloadProgress(f, o));
      }
      return fileOp('staged', file.downloadOffset, 1, () => catalog.transitionFile(f, 'staged', { sha256: f.padEnd(64, '0') }));
    }
    case 'staged': {
      const open = catalog.targetsOf(f).filter((t) => t.state !== 'uploaded');
      if (open.length === 0) return fileOp('delivered', file.downloadOffset, 1, () => catalog.transitionFile(f, 'delivered'));
      const target = open[randomInt(random, 0, open.length - 1)]!;
      const t = target.targetId;
      const targetOp = (s: string, o: number, e: 0 | 1, change: () => unknown): void => void commit({ op: 'target', f, t, s, o, e }, change);
      if (target.state === 'pending') return targetOp('uploading', target.offset, 1, () => catalog.transitionTarget(f, t, 'uploading'));
      if (random() < 0.05) return targetOp('pending', 0, 1, () => catalog.transitionTarget(f, t, 'pending', { offset: 0, reason: 'lost' }));
      if (target.offset < file.size) {
        const o = Math.min(file.size, target.offset + randomInt(random, 1, 8) * 4096);
        return targetOp('uploading', o, 0, () => catalog.recordUploadProgress(f, t, o));
      }
      return targetOp('uploaded', target.offset, 1, () => catalog.transitionTarget(f, t, 'uploaded', { receipt: `${t}://${f}` }));
    }
    case 'delivered':
      return fileOp('removed', file.downloadOffset, 1, () => catalog.transitionFile(f, 'removed'));
    default:
      throw new Error(`unexpected state ${file.state}`);
  }
}

async function main(): Promise<void> {
  // Bounded: the parent kills long before this; if not, the child stops by itself.
  for (let i = 0; i < 20_000; i++) {
    if (i % 25 === 24) {
      say(`W ${JSON.stringify({ op: 'backup' } satisfies Intent)}`);
      await catalog.backup();
      say('D');
    }
    step();
  }
  catalog.close();
}

void main();
