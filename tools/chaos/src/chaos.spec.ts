import { describe, expect, it } from 'vitest';
import { MIB } from './content';
import { createRng } from './prng';
import { runCampaign } from './campaign';
import { roundPassed, runRound } from './round';
import type { Scenario } from './scenario';
import { waitForStagingGrowth } from './scenarios/aim';
import { changingWorld } from './scenarios/changing-world';
import { S3_MIN_KILLS, s3MultipartKills } from './scenarios/s3-multipart-kills';
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

  // Two rounds at a time (maxConcurrency in vitest.config.ts): each starts an agent and up to four simulators.
  for (const scenario of SCENARIOS.filter((s) => s.name !== changingWorld.name)) {
    const unavailable = scenario.unavailable?.();
    it.skipIf(unavailable !== undefined).concurrent(`${scenario.name}: nothing lost, nothing corrupt, nothing restarted from zero${unavailable ? ` (skipped: ${unavailable})` : ''}`, async ({ expect }) => {
      const r = await runRound(scenario, { seed: 20_261_125, faultMs: 20_000, deliverMs: 150_000 });
      const { problems, ...figures } = r;
      const why = `${JSON.stringify(figures)}\n${problems.join('\n')}`;
      expect(r.faults, why).toBeGreaterThan(0);
      // Cuts the agent took itself at its deletes from the flash drive: on both sides of one, or a side went untested.
      if (scenario.name === 'removal-cuts') expect(Object.keys(r.phases).sort(), why).toEqual(['removing (after unlink)', 'removing (before unlink)']);
      // Issue 21: ≥ 20 kills during multipart uploads, each costing at most the parts in flight, no upload left open.
      if (scenario.name === s3MultipartKills.name) {
        expect(r.faults, why).toBeGreaterThanOrEqual(S3_MIN_KILLS);
        expect(r.s3?.openUploads, why).toBe(0);
        expect(r.s3?.maxResentPerKill, why).toBeLessThanOrEqual((r.s3?.partBytes ?? 0) * (r.s3?.partsInFlight ?? 0));
      }
      // A kill and a server outage, each aimed mid-upload, come first in every webdav-cuts round.
      if (scenario.name === 'webdav-cuts') expect(r.faults, why).toBeGreaterThanOrEqual(2);
      // Restarts caused by the known sealed-before-record bug are counted in restartedFromZero and reported, not failed.
      const restarted = r.restartedFromZero - r.knownIssues.restartsFromThem;
      expect({ lost: r.lost, corrupt: r.corrupt, restartedFromZero: restarted, removedEarly: r.removedEarly }, why).toEqual({
        lost: 0,
        corrupt: 0,
        restartedFromZero: 0,
        removedEarly: 0,
      });
      // The two known agent bugs (README "Findings") are reported, not failed; anything else fails.
      if (!roundPassed(r)) console.warn(`chaos ${scenario.name}: known issues ${JSON.stringify(r.knownIssues)}\n${problems.join('\n')}`);
      expect(roundPassed(r, true), why).toBe(true);
      // s3-multipart-kills is 21 agent starts: 2–4 min on 2 cores at load 8–12, 10 at load 20 (README, s3-multipart-kills).
    }, scenario.name === s3MultipartKills.name ? 720_000 : 240_000);
  }

  // Issue 17's acceptance round: the world changes under a moving agent; checked on the real files.
  it('changing-world: no version removed unless on every target, every stable file delivered, nothing from outside the source', async ({ expect }) => {
    const r = await runRound(changingWorld, { seed: 20_261_125, faultMs: 20_000, deliverMs: 25_000 });
    const { problems, ...figures } = r;
    const why = `${JSON.stringify(figures)}\n${problems.join('\n')}`;
    // The traps and the growing files always happen (the aimed rewrites only when their moment comes).
    expect(Object.keys(r.changingWorld?.versions ?? {}).sort(), why).toEqual(expect.arrayContaining(['fifo', 'grown', 'symlink']));
    expect(r.changingWorld?.goneVersions, why).toBeGreaterThan(0);
    expect({ lost: r.lost, corrupt: r.corrupt, removedEarly: r.removedEarly, timedOut: r.timedOut, agentExit: r.agentExit }, why).toEqual({
      lost: 0,
      corrupt: 0,
      removedEarly: 0,
      timedOut: false,
      agentExit: 'clean',
    });
    expect(roundPassed(r), why).toBe(true);
  }, 90_000);

  // The camera counts what it writes to a connection; what the kernel still held when the agent died never
  // arrived. Seen in the long run (seed 30097): 1.57 MB over a 2.9 MB file after one cut under load.
  it.concurrent('a kill mid-download: bytes still in the sockets are measured apart, the resume is within one checkpoint', async ({ expect }) => {
    const cutMidDownload: Scenario = {
      name: 'cut-mid-camera-download',
      summary: 'SIGKILL the agent twice while a large camera file downloads',
      topology: () => ({ camera: { files: 3, maxBytes: 8 * MIB, bandwidth: 4 * MIB }, nas: {} }),
      async inject(ctx) {
        for (let k = 1; k <= 2; k++) {
          if (!(await waitForStagingGrowth(ctx, k * MIB, 60_000))) return;
          await ctx.fault('power-cut:agent');
          await ctx.world.killAgent();
          ctx.world.startAgent();
        }
      },
    };
    const r = await runRound(cutMidDownload, { seed: 20_261_125, faultMs: 60_000, deliverMs: 120_000 });
    const { problems, ...figures } = r;
    const why = `${JSON.stringify(figures)}\n${problems.join('\n')}`;
    expect(r.faults, why).toBe(2);
    expect(r.lostInFlight, why).toBeGreaterThan(0);
    expect(roundPassed(r), why).toBe(true);
  }, 240_000);

  // The long form of power-loss (`npm run chaos -- --scenario power-loss --rounds 1000`): flights in one world.
  it.concurrent('power-loss campaign: three flights in one world, a cut in each, every flight delivered', async ({ expect }) => {
    const results = await runCampaign({ seed: 20_261_125, rounds: 3, stopAt: Date.now() + 240_000 });
    const why = results.map(({ problems, ...figures }) => `${JSON.stringify(figures)}\n${problems.join('\n')}`).join('\n');
    expect(results.length, why).toBe(3);
    // The world lives on: only the last round stops the agent, and it must stop cleanly.
    expect(results.map((r) => r.agentExit), why).toEqual(['running', 'running', 'clean']);
    for (const r of results) {
      expect(r.faults, why).toBeGreaterThan(0);
      expect(r.files, why).toBeGreaterThan(0);
      expect(roundPassed(r), why).toBe(true);
    }
  }, 300_000);
});
