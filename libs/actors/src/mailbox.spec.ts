import { describe, expect, it } from 'vitest';
import { Mailbox } from './mailbox';

describe('Mailbox', () => {
  it('runs one item at a time, in order', async () => {
    const log: string[] = [];
    let release: () => void = () => undefined;
    const mailbox = new Mailbox<string>(async (item) => {
      log.push(`start ${item}`);
      if (item === 'a') await new Promise<void>((r) => (release = r));
      log.push(`end ${item}`);
    });
    mailbox.push('a');
    mailbox.push('b');
    await Promise.resolve();
    expect(log).toEqual(['start a']);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it('othersWaiting: resolves when an item comes to wait behind the one being processed, at once if one waits already', async () => {
    const seen: string[] = [];
    const mailbox: Mailbox<string> = new Mailbox<string>(async (item) => {
      if (item !== 'slow') return;
      // The handler's own wait ends when another item arrives, not when a long timer would.
      let timer: NodeJS.Timeout | undefined;
      const woken = await Promise.race([mailbox.othersWaiting().then(() => 'woken'), new Promise<string>((r) => (timer = setTimeout(() => r('timer'), 10_000)))]);
      clearTimeout(timer);
      seen.push(woken);
      seen.push(await Promise.race([mailbox.othersWaiting().then(() => 'again at once'), Promise.resolve().then(() => 'not at once')]));
    });
    mailbox.push('slow');
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([]);
    mailbox.push('next');
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['woken', 'again at once']);
  });
});
