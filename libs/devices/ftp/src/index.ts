export { createFtpTarget, type FtpTarget, type FtpTargetOptions } from './ftp-target';
export { createFtpSource, type FtpSource, type FtpSourceOptions } from './ftp-source';
export { ftpSourceOptionsFromConfig, ftpTargetOptionsFromConfig } from './from-config';
export type { FtpConnectionOptions, FtpLog } from './options';
export { classify, ftpCode } from './errors';
