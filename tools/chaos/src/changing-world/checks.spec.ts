import { copyFile, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256File, targetRel } from '../manifest';
import { createRng } from '../prng';
import type { SourceInfo } from '../world';
import { SourceChanges } from './changes';
import { type Secret, checkChangingWorld } from './checks';
import { TargetContent } from './target-content';
import { type SourceVersion, VersionLedger, versionKey } from './versions';
import { SourceWatcher } from './watcher';

/**
 * The changing-world checks on real files, without the agent: the test plays the agent's part (copies a
 * version to the NAS, deletes a source file) and the checks must say which version was lost, and must
 * not fail what a correct agent does.
 */
describe('changing-world checks', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function setUp(): Promise<{ source: SourceInfo; nas: string; ledger: VersionLedger; changes: SourceChanges; targets: TargetContent; secret: Secret; secretPath: string }> {
    dir = await mkdtemp(join(tmpdir(), 'fs-chaos-cw-'));
    const source: SourceInfo = { configId: 'field', catalogId: 'field', policy: 'move', dirs: [join(dir, 'field')], keep: () => true, targets: ['nas'] };
    const nas = join(dir, 'nas');
    await mkdir(source.dirs[0]!, { recursive: true });
    await mkdir(nas, { recursive: true });
    const ledger = new VersionLedger();
    const secretPath = join(dir, 'secret.txt');
    await writeFile(secretPath, 'SECRET-MARKER\n'.repeat(50));
    const secret: Secret = { marker: 'SECRET-MARKER', files: new Map([[secretPath, await sha256File(secretPath)]]) };
    return { source, nas, ledger, changes: new SourceChanges(ledger, join(dir, 'tmp')), targets: new TargetContent(nas, () => Promise.resolve(undefined)), secret, secretPath };
  }

  /** The agent's delivery: the version's bytes at `name` on the NAS (default: its target path). */
  async function deliver(nas: string, v: SourceVersion, name = targetRel({ source: v.source, path: v.path, size: v.size, sha256: v.sha256 })): Promise<void> {
    await mkdir(dirname(join(nas, name)), { recursive: true });
    await copyFile(join(v.source.dirs[0]!, v.path), join(nas, name));
  }

  it('passes a correct move: each version delivered (a rewrite beside the first under another name) before its delete', async () => {
    const { source, nas, ledger, changes, targets, secret } = await setUp();
    const v1 = await changes.write(source, 'a.jpg', 5000, 'initial');
    await deliver(nas, v1);
    await unlink(join(source.dirs[0]!, 'a.jpg'));
    const v2 = await changes.write(source, 'a.jpg', 7000, 'counter-restart');
    await deliver(nas, v2, 'field/a (1).jpg');
    await unlink(join(source.dirs[0]!, 'a.jpg'));
    const kept = await changes.write(source, 'b.jpg', 100, 'new');
    const { report, figures } = await checkChangingWorld(ledger, targets, secret, (v) => (v === kept ? 'name refused by the target' : undefined));
    expect({ lost: report.lost, corrupt: report.corrupt, removedEarly: report.removedEarly }, report.problems.join('\n')).toEqual({ lost: 0, corrupt: 0, removedEarly: 0 });
    expect(figures).toMatchObject({ goneVersions: 2, refused: 1, versions: { initial: 1, 'counter-restart': 1, new: 1 } });
  });

  it('names the version lost when a rewrite under the same name is deleted undelivered', async () => {
    const { source, nas, ledger, changes, targets, secret } = await setUp();
    const v1 = await changes.write(source, 'a.jpg', 5000, 'initial');
    await deliver(nas, v1);
    // The world rewrites it before the agent's delete by path: the delete takes the new version.
    const v2 = await changes.write(source, 'a.jpg', 6000, 'rewritten');
    await unlink(join(source.dirs[0]!, 'a.jpg'));
    const { report, figures } = await checkChangingWorld(ledger, targets, secret, () => undefined);
    expect(report.lost).toBe(1);
    expect(figures.lostVersions).toBe(1);
    expect(report.problems[0]).toContain(`field:a.jpg v2/2 (rewritten, 6000 B, sha ${v2.sha256.slice(0, 12)})`);
  });

  it('catches a same-size, same-mtime replacement deleted unconfirmed, and a spliced copy on the target', async () => {
    const { source, nas, ledger, changes, targets, secret } = await setUp();
    const v1 = await changes.write(source, 'v.mp4', 8000, 'initial');
    await deliver(nas, v1);
    const v2 = await changes.replaceSameSizeAndMtime(source, 'v.mp4');
    expect(v2).toMatchObject({ size: 8000, ino: v1.ino, cause: 'same-size-mtime' });
    await unlink(join(source.dirs[0]!, 'v.mp4'));
    await writeFile(join(nas, 'field', 'spliced.mp4'), Buffer.alloc(8000, 7));
    const { report, figures } = await checkChangingWorld(ledger, targets, secret, () => undefined);
    expect({ lost: report.lost, corrupt: report.corrupt, unknown: figures.unknownOnTargets }).toEqual({ lost: 1, corrupt: 1, unknown: 1 });
  });

  it('a stable file still on its source and on no target is lost unless the agent gave a reason', async () => {
    const { source, ledger, changes, targets, secret } = await setUp();
    await changes.write(source, 'left.jpg', 300, 'new');
    const { report, figures } = await checkChangingWorld(ledger, targets, secret, () => undefined);
    expect([report.lost, figures.undelivered]).toEqual([1, 1]);
  });

  it('the watcher records a delete seen before the target had the version: removed early, though delivered later', async () => {
    const { source, nas, ledger, changes, targets, secret } = await setUp();
    const v = await changes.write(source, 'a.jpg', 4000, 'initial');
    const bytes = await readFile(join(source.dirs[0]!, 'a.jpg'));
    const watcher = new SourceWatcher(ledger, targets);
    watcher.start();
    try {
      await unlink(join(source.dirs[0]!, 'a.jpg'));
      for (let i = 0; i < 50 && v.end === undefined; i++) await sleep(50);
    } finally {
      await watcher.stop();
    }
    expect(v.end).toMatchObject({ how: 'gone', seenBy: 'watcher' });
    expect(v.missingWhenGone).toEqual(['nas']);
    await mkdir(join(nas, 'field'), { recursive: true });
    await writeFile(join(nas, 'field', 'a.jpg'), bytes);
    const { report } = await checkChangingWorld(ledger, targets, secret, () => undefined);
    expect({ lost: report.lost, removedEarly: report.removedEarly }).toEqual({ lost: 0, removedEarly: 1 });
  });

  it('a growing file deleted while written is lost whole; a delivered prefix is reported, not corrupt', async () => {
    const { source, nas, ledger, changes, targets, secret } = await setUp();
    const growing = changes.grow(source, 'log.csv', 1200, createRng(1));
    await sleep(500);
    // A snapshot of what it held so far reaches the NAS, then the file is deleted while still written.
    await mkdir(join(nas, 'field'), { recursive: true });
    await copyFile(join(source.dirs[0]!, 'log.csv'), join(nas, 'field', 'log.csv'));
    await unlink(join(source.dirs[0]!, 'log.csv'));
    const v = await growing;
    expect(v.end).toMatchObject({ how: 'gone', seenBy: 'world' });
    const { report, figures } = await checkChangingWorld(ledger, targets, secret, () => undefined);
    expect({ lost: report.lost, corrupt: report.corrupt, prefixes: figures.growingPrefixes }, report.problems.join('\n')).toEqual({ lost: 1, corrupt: 0, prefixes: 1 });
  });

  it('a symlink to a file outside the source: its content on a target is a leak, and the outside file must stay', async () => {
    const { source, nas, ledger, changes, targets, secret, secretPath } = await setUp();
    await changes.write(source, 's.jpg', 100, 'new');
    const swapped = await changes.swap(source, 's.jpg', 'symlink', secretPath);
    expect(ledger.current(versionKey(swapped))?.kind).toBe('symlink');
    await mkdir(join(nas, 'field'), { recursive: true });
    await copyFile(secretPath, join(nas, 'field', 's.jpg'));
    const fifo = await changes.swap(source, 'f.jpg', 'fifo', secretPath);
    expect(fifo.kind).toBe('fifo');
    const { report, figures } = await checkChangingWorld(ledger, targets, secret, () => undefined);
    expect([figures.secretLeaks, report.corrupt, report.lost]).toEqual([1, 1, 0]);
    await unlink(secretPath);
    expect((await checkChangingWorld(ledger, targets, secret, () => undefined)).figures.secretLeaks).toBe(2);
  });
});
