import { describe, expect, it } from 'vitest';
import { siteFindings } from './upload-site';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const round = new Map([
  ['px4:1.ulg', A],
  ['px4:2.ulg', B],
]);
const known = new Set([A, B]);

describe('siteFindings (the Flight Review check)', () => {
  it('passes one copy of each log', () => {
    expect(siteFindings(new Map([[A, 1], [B, 1]]), round, known, 1)).toEqual({ missing: [], unknown: [], secondCopies: 0, excess: 0 });
  });

  it('names a log the site does not hold, and all of them when it does not answer', () => {
    expect(siteFindings(new Map([[A, 1]]), round, known, 1).missing).toEqual(['px4:2.ulg']);
    expect(siteFindings(undefined, round, known, 1).missing).toEqual(['px4:1.ulg', 'px4:2.ulg']);
  });

  it('reports a log no source had', () => {
    expect(siteFindings(new Map([[A, 1], [B, 1], [C, 1]]), round, known, 0).unknown).toEqual([C]);
  });

  it('allows one second copy a fault, and counts the rest as excess', () => {
    expect(siteFindings(new Map([[A, 2], [B, 1]]), round, known, 1)).toMatchObject({ secondCopies: 1, excess: 0 });
    expect(siteFindings(new Map([[A, 3], [B, 2]]), round, known, 1)).toMatchObject({ secondCopies: 3, excess: 2 });
    // Earlier rounds' logs may have their own copies: only this round's logs count.
    expect(siteFindings(new Map([[A, 1], [B, 1], [C, 4]]), round, new Set([A, B, C]), 0)).toMatchObject({ secondCopies: 0, excess: 0 });
  });
});
