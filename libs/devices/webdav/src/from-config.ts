import type { TargetConfig } from '@filesync/core/config';
import type { WebdavLog, WebdavTargetOptions } from './options';

export type WebdavTargetConfig = Extract<TargetConfig, { type: 'webdav' }>;

/** Maps a parsed `targets[]` entry of type `webdav` onto the target's options. */
export function webdavTargetOptionsFromConfig(config: WebdavTargetConfig, extra: { log?: WebdavLog } = {}): WebdavTargetOptions {
  return {
    id: config.id,
    url: config.url,
    dir: config.dir,
    partSuffix: config.partSuffix,
    collision: config.collision,
    resume: config.resume,
    timeoutMs: config.timeoutSec * 1000,
    ...(config.user === undefined ? {} : { user: config.user }),
    ...(config.password === undefined ? {} : { password: config.password }),
    ...(config.passwordEnv === undefined ? {} : { passwordEnv: config.passwordEnv }),
    ...(config.passwordFile === undefined ? {} : { passwordFile: config.passwordFile }),
    ...extra,
  };
}
