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
});
