import type { HealthSnapshot } from '@filesync/pipeline';
import { describe, expect, it } from 'vitest';
import { HealthBoard } from './health-board';

const at = (state: HealthSnapshot['state'], message?: string): HealthSnapshot => ({
  state,
  cause: message === undefined ? undefined : { kind: 'transient', code: 'device-gone', message },
  consecutiveFailures: state === 'up' ? 0 : 1,
  retryAtMs: 0,
  since: 0,
});

describe('health board', () => {
  it("a drive pulled and plugged back shows its volume only, not the group's earlier 'no volume' beside it", () => {
    const board = new HealthBoard();
    board.report('source', 'flir', [{ 'flir:28EC-DB59': at('up') }]);
    board.report('source', 'flir', [{ flir: at('down', 'no volume present') }]);
    expect(Object.keys(board.health.sources)).toEqual(['flir']);
    board.report('source', 'flir', [{ 'flir:28EC-DB59': at('up') }, { 'flir:28EC-DB59': at('up') }]);
    expect(board.health.sources).toEqual({ 'flir:28EC-DB59': at('up') });
  });

  it("takes the worst of a device's stages, keeps other groups, and keeps a group's last word while none of its workers answers", () => {
    const board = new HealthBoard();
    board.report('source', 'camera', [{ camera: at('up') }, { camera: at('down', 'refused') }, undefined]);
    board.report('target', 'nas', [{ nas: at('degraded', 'slow') }]);
    board.report('source', 'camera', [undefined, undefined, undefined]);
    expect(board.health).toEqual({ sources: { camera: at('down', 'refused') }, targets: { nas: at('degraded', 'slow') } });
  });
});
