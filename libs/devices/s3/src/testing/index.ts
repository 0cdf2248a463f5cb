export { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver, type SeenRequest } from './s3rver-server';
