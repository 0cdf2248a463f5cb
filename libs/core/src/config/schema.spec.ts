import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseByteSize } from './common';
import { ConfigError, parseConfig } from './load';
import { configJsonSchema } from './schema';

const minimal = {
  dataDir: '/tmp/x',
  sources: [{ id: 'a', type: 'local', dir: '/tmp/a' }],
  targets: [{ id: 'b', type: 'local', dir: '/tmp/b' }],
  routes: [{ source: 'a', targets: ['b'] }],
};

describe('config schema', () => {
  it('fills defaults for a minimal config', () => {
    const config = parseConfig(minimal);
    expect(config.routes[0]).toMatchObject({ policy: 'copy', order: 'oldest-first', filter: { include: ['**/*'] } });
    expect(config.staging.checkpointBytes).toBe(1024 * 1024);
    expect(config.status).toEqual({ host: '127.0.0.1', port: 8080 });
  });

  it('names every wrong field with its path', () => {
    const bad = { ...minimal, sources: [{ id: 'a', type: 'local' }], routes: [{ source: 'a', targets: ['b', 'zz'] }] };
    try {
      parseConfig(bad, 'x.json');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.path)).toEqual(['sources[0].dir', 'routes[0].targets[1]']);
    }
  });

  it('parses sizes with units', () => {
    expect(parseByteSize('512MiB')).toBe(512 * 2 ** 20);
    expect(parseByteSize('2GB')).toBe(2e9);
    expect(parseByteSize('1.5 KiB')).toBe(1536);
    expect(parseByteSize('lots')).toBeUndefined();
    expect(parseConfig({ ...minimal, staging: { reserveBytes: '1GiB' } }).staging.reserveBytes).toBe(2 ** 30);
  });

  it('keeps config.schema.json in step with the zod source (run `nx run core:json-schema` after a change)', () => {
    const committed = JSON.parse(readFileSync(fileURLToPath(new URL('../../../../config.schema.json', import.meta.url)), 'utf8')) as unknown;
    expect(committed).toEqual(configJsonSchema());
  });
});
