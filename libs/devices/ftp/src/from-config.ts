import type { SourceConfig, TargetConfig } from '@filesync/core/config';
import type { FtpSourceOptions } from './ftp-source';
import type { FtpTargetOptions } from './ftp-target';
import type { FtpLog } from './options';

type FtpTargetConfig = Extract<TargetConfig, { type: 'ftp' }>;
type FtpSourceConfig = Extract<SourceConfig, { type: 'ftp' }>;

/** Maps a parsed `targets[]` entry of type `ftp` onto the target's options. */
export function ftpTargetOptionsFromConfig(config: FtpTargetConfig, extra: { log?: FtpLog } = {}): FtpTargetOptions {
  return { ...connectionFields(config), id: config.id, dir: config.dir, partSuffix: config.partSuffix, collision: config.collision, ...extra };
}

/** Maps a parsed `sources[]` entry of type `ftp` onto the source's options. */
export function ftpSourceOptionsFromConfig(config: FtpSourceConfig, extra: { log?: FtpLog } = {}): FtpSourceOptions {
  return { ...connectionFields(config), id: config.id, ...extra };
}

function connectionFields(config: FtpTargetConfig | FtpSourceConfig) {
  const fields: {
    url: string;
    user?: string;
    secure: false | 'explicit' | 'implicit';
    password?: string;
    passwordEnv?: string;
    passwordFile?: string;
    caFile?: string;
  } = { url: config.url, secure: config.secure };
  if (config.user !== undefined) fields.user = config.user;
  if (config.password !== undefined) fields.password = config.password;
  if (config.passwordEnv !== undefined) fields.passwordEnv = config.passwordEnv;
  if (config.passwordFile !== undefined) fields.passwordFile = config.passwordFile;
  if (config.caFile !== undefined) fields.caFile = config.caFile;
  return fields;
}
