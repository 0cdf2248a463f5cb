export { createWebdavTarget, type WebdavTarget } from './webdav-target';
export { webdavTargetOptionsFromConfig, type WebdavTargetConfig } from './from-config';
export type { WebdavLog, WebdavTargetOptions } from './options';
export { classify, classifyStatus } from './errors';
