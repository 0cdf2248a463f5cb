import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { armRemovalCut, disarmRemovalCut, takenRemovalCut } from './trigger';

const PRELOAD = fileURLToPath(new URL('./cut-at-unlink.mjs', import.meta.url));

// A process with the hook preloaded that deletes one file the way the flash drive's source does
// (a named import from node:fs/promises), then says so.
function unlinkInChild(file: string, trigger: string, watched: string): { signal: NodeJS.Signals | null; stdout: string } {
  const script = "import { unlink } from 'node:fs/promises'; await unlink(process.argv[1]); console.log('unlinked');";
  const r = spawnSync(process.execPath, ['--import', PRELOAD, '--input-type=module', '-e', script, file], {
    env: { ...process.env, NODE_OPTIONS: '', FILESYNC_CHAOS_UNLINK_TRIGGER: trigger, FILESYNC_CHAOS_UNLINK_DIRS: watched },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { signal: r.signal, stdout: r.stdout };
}

describe('cut at unlink (removal-cuts preload)', () => {
  let dir: string;
  let card: string;
  let trigger: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fs-cut-at-unlink-'));
    card = join(dir, 'card');
    mkdirSync(card);
    trigger = join(dir, 'removal-cut.trigger');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const picture = (name: string): string => {
    const file = join(card, name);
    writeFileSync(file, 'jpeg');
    return file;
  };

  it('kills the process just before the armed unlink: the file is still there', async () => {
    const file = picture('IMG_0001.jpg');
    await armRemovalCut(trigger, 'before');
    const r = unlinkInChild(file, trigger, card);
    expect(r).toEqual({ signal: 'SIGKILL', stdout: '' });
    expect(existsSync(file)).toBe(true);
    expect(await disarmRemovalCut(trigger)).toBe(true);
    expect(await takenRemovalCut(trigger)).toEqual({ side: 'before', path: file });
  });

  it('kills the process just after the armed unlink, before the caller sees it return', async () => {
    const file = picture('IMG_0002.jpg');
    await armRemovalCut(trigger, 'after');
    const r = unlinkInChild(file, trigger, card);
    expect(r).toEqual({ signal: 'SIGKILL', stdout: '' });
    expect(existsSync(file)).toBe(false);
    expect(await disarmRemovalCut(trigger)).toBe(true);
    expect(await takenRemovalCut(trigger)).toEqual({ side: 'after', path: file });
  });

  it('cuts just after an unlink that fails too: a restart deleting again a file a cut left unrecorded', async () => {
    await armRemovalCut(trigger, 'after');
    expect(unlinkInChild(join(card, 'IMG_0004.jpg'), trigger, card)).toEqual({ signal: 'SIGKILL', stdout: '' });
    expect(await disarmRemovalCut(trigger)).toBe(true);
  });

  it('leaves unlinks alone when disarmed, and outside the watched directories', async () => {
    const file = picture('IMG_0003.jpg');
    await armRemovalCut(trigger, 'before');
    expect(await disarmRemovalCut(trigger)).toBe(false);
    expect(unlinkInChild(file, trigger, card)).toEqual({ signal: null, stdout: 'unlinked\n' });
    expect(existsSync(file)).toBe(false);

    const elsewhere = join(dir, 'staging.part');
    writeFileSync(elsewhere, 'x');
    await armRemovalCut(trigger, 'after');
    expect(unlinkInChild(elsewhere, trigger, card)).toEqual({ signal: null, stdout: 'unlinked\n' });
    // Still armed: the cut waits for an unlink on the card.
    expect(await disarmRemovalCut(trigger)).toBe(false);
  });
});
