import { describe, expect, it } from 'vitest';
import { createRng } from './prng';
import { roundPassed, runRound } from './round';
import { SCENARIOS } from './scenarios/index';

/**
 * One short seeded round of every scenario: the real agent process against the real simulators, the
 * scenario's faults, then the invariants on the real files. A failure prints the round's problems;
 * `npm run chaos -- --scenario NAME --seed N --verbose` replays it.
 */
describe('chaos', () => {
  it('replays the same fault schedule from the same seed', () => {
    const draw = (seed: number): number[] => {
      const rng = createRng(seed).fork('faults');
      return [rng.int(0, 1000), rng.between(0, 1), rng.pick(['a', 'b', 'c'])].map(Number).filter((n) => !Number.isNaN(n));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  // Rounds run one after another: each starts an agent and up to four simulators on a shared 2-core machine.
  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: nothing lost, nothing corrupt, nothing restarted from zero`, async () => {
      const r = await runRound(scenario, { seed: 20_261_125, faultMs: 25_000, deliverMs: 120_000 });
      const { problems, ...figures } = r;
      expect(problems, JSON.stringify(figures)).toEqual([]);
      expect(r.faults).toBeGreaterThan(0);
      expect({ lost: r.lost, corrupt: r.corrupt, restartedFromZero: r.restartedFromZero, removedEarly: r.removedEarly }).toEqual({
        lost: 0,
        corrupt: 0,
        restartedFromZero: 0,
        removedEarly: 0,
      });
      expect(roundPassed(r), JSON.stringify(figures)).toBe(true);
    }, 240_000);
  }
});
