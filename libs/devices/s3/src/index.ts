export { openS3Target } from './open-s3-target';
export { createS3Target, type S3Target, type StaleSweep } from './s3-target';
export { DEFAULT_S3_OPTIONS, partSizeFor, s3TargetOptionsFromConfig, type S3Log, type S3TargetConfig, type S3TargetOptions } from './options';
export { classify, isNoSuchUpload, isNotFound, isNotOffered, s3CodeOf } from './errors';
export { resolveCredentials, type CredentialSource, type S3Credentials } from './credentials';
