import { describe, expect, it } from 'vitest';
import { ManualClock, TransientError } from '@filesync/core';
import { readListDate, readTimeVal, sameInstant } from './list-date';
import { type MdtmAnswer, ListingTimes, SETTLE_MS } from './listing-times';

const NOW = Date.UTC(2026, 10, 25, 12, 0);
const EXACT = Date.UTC(2026, 10, 25, 8, 37, 53, 974);

function mdtmSays(...answers: MdtmAnswer[]): { ask: () => Promise<MdtmAnswer>; asked: () => number } {
  let asked = 0;
  return {
    ask: () => {
      const answer = answers[Math.min(asked, answers.length - 1)];
      asked++;
      return answer === undefined ? Promise.reject(new Error('no answer')) : Promise.resolve(answer);
    },
    asked: () => asked,
  };
}
const at = (ms: number, precisionMs = 1): MdtmAnswer => ({ kind: 'time', reading: { ms, precisionMs } });

describe('time readings', () => {
  it('LIST dates carry their precision: a minute, a day, unknown', () => {
    expect(readListDate('Nov 25 08:37', NOW)).toEqual({ ms: Date.UTC(2026, 10, 25, 8, 37), precisionMs: 60_000 });
    expect(readListDate('May 02  2025', NOW)).toEqual({ ms: Date.UTC(2025, 4, 2), precisionMs: 86_400_000 });
    expect(readListDate('11-25-26 08:37AM', NOW).precisionMs).toBe(Infinity);
  });

  it('RFC 3659 time-vals (MDTM, MLSD) carry the precision of their digits', () => {
    expect(readTimeVal('20261125083753.974')).toEqual({ ms: EXACT, precisionMs: 1 });
    expect(readTimeVal('20261125083753')).toEqual({ ms: EXACT - 974, precisionMs: 1000 });
    expect(readTimeVal('20261125083753.9')).toEqual({ ms: EXACT - 74, precisionMs: 100 });
    expect(readTimeVal('Tue, 25 Nov')).toBeUndefined();
  });

  it('two readings are the same instant when their intervals overlap', () => {
    const minute = readListDate('Nov 25 08:37', NOW);
    expect(sameInstant(minute, { ms: EXACT, precisionMs: 1 })).toBe(true);
    expect(sameInstant(minute, { ms: Date.UTC(2026, 10, 25, 8, 38), precisionMs: 1 })).toBe(false);
    expect(sameInstant({ ms: EXACT, precisionMs: 1 }, { ms: EXACT - 974, precisionMs: 1000 })).toBe(true);
  });
});

describe('ListingTimes', () => {
  it('gives the MDTM time, asks again only until the line has settled, then never for the same line', async () => {
    const clock = new ManualClock(NOW);
    const times = new ListingTimes(clock);
    const mdtm = mdtmSays(at(EXACT));
    expect(await times.fromList('a.jpg', 10, 'Nov 25 08:37', mdtm.ask)).toBe(EXACT);
    expect(await times.fromList('a.jpg', 10, 'Nov 25 08:37', mdtm.ask)).toBe(EXACT);
    expect(mdtm.asked()).toBe(2);
    clock.advance(SETTLE_MS);
    expect(await times.fromList('a.jpg', 10, 'Nov 25 08:37', mdtm.ask)).toBe(EXACT);
    expect(mdtm.asked()).toBe(3);
    for (let i = 0; i < 5; i++) expect(await times.fromList('a.jpg', 10, 'Nov 25 08:37', mdtm.ask)).toBe(EXACT);
    expect(mdtm.asked()).toBe(3);
  });

  it('a failed MDTM rejects: the LIST date is never given in place of a time that is to be had', async () => {
    const times = new ListingTimes(new ManualClock(NOW));
    const lost = (): Promise<MdtmAnswer> => Promise.reject(new TransientError('disconnected', 'gone'));
    await expect(times.fromList('a.jpg', 10, 'Nov 25 08:37', lost)).rejects.toThrow('gone');
    expect(await times.fromList('a.jpg', 10, 'Nov 25 08:37', mdtmSays(at(EXACT)).ask)).toBe(EXACT);
  });

  it('a coarser reading of the same instant keeps the time already given (MDTM off, MLSD to LIST, minute to year form)', async () => {
    const times = new ListingTimes(new ManualClock(NOW));
    expect(times.fromFacts('a.jpg', 10, EXACT - 974)).toBe(EXACT - 974);
    expect(await times.fromList('a.jpg', 10, 'Nov 25 08:37')).toBe(EXACT - 974);
    expect(await times.fromList('b.log', 10, 'Nov 25 08:37')).toBe(Date.UTC(2026, 10, 25, 8, 37));
    // Six months on, LIST shows the year instead of the time: the same file, the same mtime.
    expect(await times.fromList('b.log', 10, 'Nov 25  2026')).toBe(Date.UTC(2026, 10, 25, 8, 37));
    // MDTM answering again (after a refusal or a reconnect) agrees with the minute: still the same.
    expect(await times.fromList('b.log', 10, 'Nov 25 08:37', mdtmSays(at(EXACT)).ask)).toBe(Date.UTC(2026, 10, 25, 8, 37));
  });

  it('another size, or a reading that cannot be the same instant, is a new mtime', async () => {
    const times = new ListingTimes(new ManualClock(NOW));
    expect(await times.fromList('a.jpg', 10, 'Nov 25 08:37', mdtmSays(at(EXACT)).ask)).toBe(EXACT);
    expect(await times.fromList('a.jpg', 10, 'Nov 25 08:37', mdtmSays(at(EXACT + 5000)).ask)).toBe(EXACT + 5000);
    expect(await times.fromList('a.jpg', 11, 'Nov 25 08:37', mdtmSays(at(EXACT + 5000)).ask)).toBe(EXACT + 5000);
    expect(times.fromFacts('a.jpg', 11, EXACT + 5000)).toBe(EXACT + 5000);
    expect(await times.fromList('a.jpg', 11, 'Nov 25 08:39')).toBe(Date.UTC(2026, 10, 25, 8, 39));
  });

  it('a file MDTM refuses keeps its LIST date, and is not asked again while its line is the same', async () => {
    const times = new ListingTimes(new ManualClock(NOW));
    const mdtm = mdtmSays({ kind: 'refused' }, at(EXACT));
    expect(await times.fromList('a.jpg', 10, 'Nov 25 08:37', mdtm.ask)).toBe(Date.UTC(2026, 10, 25, 8, 37));
    expect(await times.fromList('a.jpg', 10, 'Nov 25 08:37', mdtm.ask)).toBe(Date.UTC(2026, 10, 25, 8, 37));
    expect(mdtm.asked()).toBe(1);
  });

  it('forgets paths a complete listing no longer shows', async () => {
    const times = new ListingTimes(new ManualClock(NOW));
    const mdtm = mdtmSays(at(EXACT));
    await times.fromList('a.jpg', 10, 'Nov 25 08:37', mdtm.ask);
    times.keepOnly(new Set());
    expect(await times.fromList('a.jpg', 10, 'Nov 25  2026')).toBe(Date.UTC(2026, 10, 25));
  });
});
