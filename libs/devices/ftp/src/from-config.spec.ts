import { describe, expect, it } from 'vitest';
import { ftpSourceSchema, ftpTargetSchema } from '@filesync/core/config';
import { ftpSourceOptionsFromConfig, ftpTargetOptionsFromConfig } from './from-config';
import { resolveEndpoint } from './options';

describe('options from the parsed config', () => {
  it('carries every ftp target field, with the schema defaults', () => {
    const config = ftpTargetSchema.parse({ id: 'nas', type: 'ftp', url: 'ftp://nas.local/drone', passwordEnv: 'NAS_PW', secure: 'explicit', caFile: '/etc/ca.pem' });
    expect(ftpTargetOptionsFromConfig(config)).toEqual({
      id: 'nas',
      url: 'ftp://nas.local/drone',
      secure: 'explicit',
      passwordEnv: 'NAS_PW',
      caFile: '/etc/ca.pem',
      dir: '',
      partSuffix: '.part',
      collision: 'rename',
    });
  });

  it('carries the ftp source fields', () => {
    const config = ftpSourceSchema.parse({ id: 'cam', type: 'ftp', url: 'ftp://10.0.0.5', user: 'pilot', passwordFile: '/run/secrets/cam' });
    expect(ftpSourceOptionsFromConfig(config)).toMatchObject({ id: 'cam', url: 'ftp://10.0.0.5', user: 'pilot', passwordFile: '/run/secrets/cam', secure: false });
  });

  it('never turns an ftps:// URL into plain FTP, and keeps credentials out of the display form', () => {
    const config = ftpTargetSchema.parse({ id: 'x', type: 'ftp', url: 'ftps://u:p%40ss@host.example/in' });
    const endpoint = resolveEndpoint(ftpTargetOptionsFromConfig(config), 'sub');
    expect(endpoint).toMatchObject({ secure: 'implicit', port: 990, host: 'host.example', dir: 'in/sub', display: 'ftps://host.example/in/sub' });
    expect(endpoint.urlPassword).toBe('p@ss');
    expect(resolveEndpoint({ url: 'ftp://h:2121/a' })).toMatchObject({ secure: false, port: 2121, user: 'anonymous' });
  });

  it('logs in as the user named in the URL when the config names none, and as `user` when it does', () => {
    const fromUrl = ftpTargetSchema.parse({ id: 'x', type: 'ftp', url: 'ftp://bob@host/in' });
    expect(resolveEndpoint(ftpTargetOptionsFromConfig(fromUrl))).toMatchObject({ user: 'bob' });
    const named = ftpTargetSchema.parse({ id: 'x', type: 'ftp', url: 'ftp://bob@host/in', user: 'alice' });
    expect(resolveEndpoint(ftpTargetOptionsFromConfig(named))).toMatchObject({ user: 'alice' });
  });
});
