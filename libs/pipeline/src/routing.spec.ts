import { describe, expect, it } from 'vitest';
import { parseConfig } from '@filesync/core/config';
import { routeIds } from './route-id';
import { buildRouting } from './routing';

const config = parseConfig({
  dataDir: '/tmp/x',
  sources: [{ id: 'flir', type: 'disk', match: { label: 'FLIR' } }],
  targets: [
    { id: 'nas', type: 'local', dir: '/tmp/nas' },
    { id: 'fr', type: 'local', dir: '/tmp/fr' },
  ],
  routes: [
    { source: 'flir', targets: ['nas'], policy: 'move', filter: { include: ['**/*.jpg'] } },
    { source: 'flir', targets: ['fr'], policy: 'copy', filter: { include: ['**/*.mp4'] }, targetPath: 'video/{name}' },
  ],
});

describe('routing', () => {
  const routing = buildRouting(config.routes);
  it('maps a volume source id (config id + volume UUID) onto its routes', () => {
    expect(routing.routesOf('flir:1234-ABCD')).toHaveLength(2);
    expect(routing.targetPath({ sourceId: 'flir:1234-ABCD', path: 'd/a.jpg' }, 'nas')).toBe('flir_1234-ABCD/d/a.jpg');
    expect(routing.targetPath({ sourceId: 'flir:1234-ABCD', path: 'd/v.mp4' }, 'fr')).toBe('video/v.mp4');
  });

  it('moves a file only when every route that takes it says move', () => {
    expect(routing.isMoved({ sourceId: 'flir:u', path: 'a.jpg', size: 1, mtimeMs: 0 })).toBe(true);
    expect(routing.isMoved({ sourceId: 'flir:u', path: 'a.mp4', size: 1, mtimeMs: 0 })).toBe(false);
    expect(routing.isMoved({ sourceId: 'flir:u', path: 'a.txt', size: 1, mtimeMs: 0 })).toBe(false);
  });

  it('holds a file only while every route that takes it is paused', () => {
    const file = (path: string) => ({ sourceId: 'flir:u', path, size: 1, mtimeMs: 0 });
    const [jpg, mp4] = routeIds(config.routes);
    expect(routing.isHeld(file('a.jpg'), new Set([jpg ?? '']))).toBe(true);
    expect(routing.isHeld(file('a.mp4'), new Set([jpg ?? '']))).toBe(false);
    expect(routing.isHeld(file('a.mp4'), new Set([mp4 ?? '']))).toBe(true);
    expect(routing.isHeld(file('a.jpg'), new Set())).toBe(false);
  });

  it('names routes by what they move, numbering repeats of the same source and targets', () => {
    expect(routeIds(config.routes)).toEqual(['flir~nas', 'flir~fr']);
    expect(routeIds([{ source: 'px4', targets: ['ftp', 'fr'] }, { source: 'px4', targets: ['ftp', 'fr'] }])).toEqual(['px4~ftp,fr', 'px4~ftp,fr~2']);
  });
});
