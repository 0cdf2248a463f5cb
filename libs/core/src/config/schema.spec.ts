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

/** The problems `parseConfig` reports for `bad`. */
function problems(bad: object): { path: string; message: string }[] {
  try {
    parseConfig(bad, 'x.json');
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
  }
  throw new Error('expected a ConfigError');
}

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

  it('says what kind of value a wrong field holds and names the field, inside a field of several shapes too', () => {
    expect(problems({ ...minimal, status: { port: 'eighty' } })).toEqual([{ path: 'status.port', message: 'expected a number, got a string' }]);
    expect(problems({ ...minimal, status: 'on' })).toEqual([{ path: 'status', message: 'expected false, or an object, got a string' }]);
    // Present with the wrong type is not "required".
    expect(problems({ ...minimal, sources: [{ id: 'a', type: 'local', dir: '/tmp/a', pollIntervalSec: '5' }] })).toEqual([
      { path: 'sources[0].pollIntervalSec', message: 'expected a number, got a string' },
    ]);
    expect(problems({ ...minimal, sources: [{ id: 'a', type: 'local' }] })).toEqual([{ path: 'sources[0].dir', message: 'is required (string)' }]);
    // The kind of a wrong value, never the value: it may be a secret.
    const secret = problems({ ...minimal, sources: [{ id: 'a', type: 'ftp', url: 'ftp://127.0.0.1', password: 918273645 }] });
    expect(secret).toEqual([{ path: 'sources[0].password', message: 'expected a string, got a whole number' }]);
  });

  it('status off loopback needs a token, given one way', () => {
    const token = 'a-token-of-twenty-four-c';
    expect(problems({ ...minimal, status: { host: '0.0.0.0', port: 8080 } })).toEqual([
      { path: 'status.host', message: expect.stringMatching(/^is not a loopback address: .*set status\.token, tokenFile or tokenEnv$/) },
    ]);
    expect(parseConfig({ ...minimal, status: { host: '0.0.0.0', port: 8080, tokenEnv: 'FILESYNC_STATUS_TOKEN' } }).status).toMatchObject({ host: '0.0.0.0' });
    expect(problems({ ...minimal, status: { host: '127.0.0.1', port: 8080, token, tokenEnv: 'X' } })).toEqual([
      { path: 'status.tokenEnv', message: 'give the token one way: token and tokenEnv are both set' },
    ]);
    expect(parseConfig({ ...minimal, status: { host: '::1', port: 8080 } }).status).toMatchObject({ host: '::1' });
  });

  it('a webdav target: defaults filled, URL scheme and port checked by field, the URL never repeated', () => {
    const withTarget = (target: object) => ({ ...minimal, targets: [target], routes: [{ source: 'a', targets: ['dav'] }] });
    const ok = parseConfig(withTarget({ id: 'dav', type: 'webdav', url: 'https://cloud.example.org/remote.php/dav/files/drone/', user: 'drone', passwordEnv: 'DAV_PW' }));
    expect(ok.targets[0]).toMatchObject({ type: 'webdav', dir: '', partSuffix: '.part', collision: 'rename', resume: true, timeoutSec: 60 });
    expect(problems(withTarget({ id: 'dav', type: 'webdav', url: 'ftp://host/dav' }))).toEqual([
      { path: 'targets[0].url', message: expect.stringMatching(/^expected an http:\/\/ or https:\/\/ URL/) },
    ]);
    const badPort = problems(withTarget({ id: 'dav', type: 'webdav', url: 'http://user:s3cret-pw@host:70000/dav' }));
    expect(badPort.map((p) => p.path)).toContain('targets[0].url');
    expect(badPort.some((p) => /port must be a whole number from 1 to 65535/.test(p.message))).toBe(true);
    expect(JSON.stringify(badPort)).not.toContain('s3cret-pw');
    expect(problems(withTarget({ id: 'dav', type: 'webdav', url: 'http://host:0/dav' }))).toEqual([
      { path: 'targets[0].url', message: expect.stringMatching(/port must be a whole number from 1 to 65535/) },
    ]);
    expect(problems(withTarget({ id: 'dav', type: 'webdav', url: 'http://host/', collision: 'replace' })).map((p) => p.path)).toEqual(['targets[0].collision']);
    expect(problems(withTarget({ id: 'dav', type: 'webdav', url: 'http://host/', timeoutSec: 0 })).map((p) => p.path)).toEqual(['targets[0].timeoutSec']);
    expect(problems(withTarget({ id: 'dav', type: 'webdav', url: 'http://host/', secure: 'explicit' })).map((p) => p.path)).toEqual(['targets[0]']);
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

  it('s3 targets: defaults, and a field error for each bad field (bucket, prefix, part size, one way for the secret)', () => {
    const s3 = { id: 'bucket', type: 's3', endpoint: 'http://127.0.0.1:9000', bucket: 'fleet', accessKeyId: 'AK', secretAccessKeyEnv: 'S3_SECRET' };
    const config = parseConfig({ ...minimal, targets: [s3], routes: [{ source: 'a', targets: ['bucket'] }] });
    expect(config.targets[0]).toMatchObject({ region: 'us-east-1', prefix: '', partSize: 8 * 2 ** 20, multipartThreshold: 16 * 2 ** 20, collision: 'rename', staleUploadHours: 168 });
    const bad = problems({
      ...minimal,
      targets: [{ ...s3, bucket: 'Bad_Bucket', prefix: '../up/', partSize: '1MiB', secretAccessKey: 'x' }],
      routes: [{ source: 'a', targets: ['bucket'] }],
    });
    expect(bad.map((p) => p.path)).toEqual(['targets[0].bucket', 'targets[0].prefix', 'targets[0].partSize', 'targets[0].secretAccessKeyEnv']);
    expect(bad.find((p) => p.path === 'targets[0].partSize')?.message).toContain('between 5 MiB (S3’s smallest part) and 256 MiB');
    expect(problems({ ...minimal, targets: [{ id: 'bucket', type: 's3', bucket: 'fleet', accessKeyId: 'AK' }], routes: [{ source: 'a', targets: ['bucket'] }] })).toEqual([
      { path: 'targets[0].accessKeyId', message: 'needs secretAccessKey, secretAccessKeyFile or secretAccessKeyEnv' },
    ]);
  });

  it('s3 partConcurrency: default 2; a fraction, 0, 17, or more parts in memory than 256 MiB is a field error naming partConcurrency', () => {
    const s3 = { id: 'bucket', type: 's3', endpoint: 'http://127.0.0.1:9000', bucket: 'fleet', accessKeyId: 'AK', secretAccessKeyEnv: 'S3_SECRET' };
    const routes = [{ source: 'a', targets: ['bucket'] }];
    expect(parseConfig({ ...minimal, targets: [s3], routes }).targets[0]).toMatchObject({ partConcurrency: 2 });
    expect(parseConfig({ ...minimal, targets: [{ ...s3, partConcurrency: 1 }], routes }).targets[0]).toMatchObject({ partConcurrency: 1 });
    const at = (partConcurrency: unknown, partSize = '8MiB') => problems({ ...minimal, targets: [{ ...s3, partConcurrency, partSize }], routes });
    expect(at(0)).toEqual([{ path: 'targets[0].partConcurrency', message: 'must be at least 1 (one part at a time)' }]);
    expect(at(2.5)).toEqual([{ path: 'targets[0].partConcurrency', message: 'expected a whole number, got a number' }]);
    expect(at(17)).toEqual([{ path: 'targets[0].partConcurrency', message: 'must be at most 16' }]);
    expect(at(8, '64MiB')).toEqual([{ path: 'targets[0].partConcurrency', message: expect.stringContaining('partSize × partConcurrency must be at most 256 MiB') }]);
    expect(parseConfig({ ...minimal, targets: [{ ...s3, partConcurrency: 4, partSize: '64MiB' }], routes }).targets[0]).toMatchObject({ partConcurrency: 4, partSize: 64 * 2 ** 20 });
  });

  it('fleet layout: target path templates take {vehicle}, {source}, {date}, {path}; an unknown or unavailable placeholder is a field error', () => {
    const ok = parseConfig({ ...minimal, vehicle: 'drone-7', routes: [{ source: 'a', targets: ['b'], targetPath: '{vehicle}/{source}/{date}/{path}' }] });
    expect(ok.vehicle).toBe('drone-7');
    expect(problems({ ...minimal, routes: [{ source: 'a', targets: ['b'], targetPath: '{vehicle}/{flihgt}/{path}' }] })).toEqual([
      { path: 'routes[0].targetPath', message: expect.stringMatching(/^unknown placeholder \{flihgt\} \(known: \{vehicle\}, /) },
    ]);
    expect(problems({ ...minimal, routes: [{ source: 'a', targets: ['b'], targetPath: '{flight}/{path}' }] })).toEqual([
      { path: 'routes[0].targetPath', message: expect.stringMatching(/^\{flight\} is not available: no source reports a flight number yet/) },
    ]);
    expect(problems({ ...minimal, routes: [{ source: 'a', targets: ['b'], targetPath: '../{path}' }] })[0]?.message).toContain('".." segment');
    expect(problems({ ...minimal, vehicle: 'a/b' })).toEqual([{ path: 'vehicle', message: expect.stringContaining('letters, digits') }]);
  });
});
