import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveCredentials } from './credentials';

const dir = mkdtempSync(join(tmpdir(), 'fs-s3-cred-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('S3 credentials: config, a file, the environment, or the standard chain', () => {
  it('takes keys from the config, a secret file or an environment variable', () => {
    expect(resolveCredentials({ accessKeyId: 'AK', secretAccessKey: 'SK' })).toEqual({ accessKeyId: 'AK', secretAccessKey: 'SK' });
    writeFileSync(join(dir, 'secret'), 'FROM-FILE\nignored\n');
    expect(resolveCredentials({ accessKeyId: 'AK', secretAccessKeyFile: join(dir, 'secret') })).toEqual({ accessKeyId: 'AK', secretAccessKey: 'FROM-FILE' });
    expect(resolveCredentials({ accessKeyId: 'AK', secretAccessKeyEnv: 'S3_SECRET' }, { S3_SECRET: 'FROM-ENV' })).toEqual({ accessKeyId: 'AK', secretAccessKey: 'FROM-ENV' });
  });

  it('reads a profile of an AWS shared credentials file', () => {
    writeFileSync(join(dir, 'credentials'), '[default]\naws_access_key_id = D\naws_secret_access_key = DS\n\n[fleet]\naws_access_key_id=F\naws_secret_access_key=FS\naws_session_token=T\n');
    expect(resolveCredentials({ credentialsFile: join(dir, 'credentials') })).toEqual({ accessKeyId: 'D', secretAccessKey: 'DS' });
    expect(resolveCredentials({ credentialsFile: join(dir, 'credentials'), profile: 'fleet' })).toEqual({ accessKeyId: 'F', secretAccessKey: 'FS', sessionToken: 'T' });
    expect(() => resolveCredentials({ credentialsFile: join(dir, 'credentials'), profile: 'nope' })).toThrow(/profile "nope" .* lacks aws_access_key_id/);
  });

  it('leaves the standard AWS chain to the SDK when none is given, and never puts a secret in a message', () => {
    expect(resolveCredentials({})).toBeUndefined();
    expect(() => resolveCredentials({ accessKeyId: 'AK', secretAccessKeyEnv: 'UNSET_VAR' }, {})).toThrow('secretAccessKeyEnv: environment variable UNSET_VAR is not set');
    writeFileSync(join(dir, 'empty'), '');
    expect(() => resolveCredentials({ accessKeyId: 'AK', secretAccessKeyFile: join(dir, 'empty') })).toThrow('the secret access key is empty');
  });
});
