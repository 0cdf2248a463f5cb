import type { IncomingMessage } from 'node:http';
import { s3Errors } from './s3-error';

/**
 * Checks that a request is signed with the configured access key. The signature itself is NOT
 * verified: the simulator stands in for a store on a test bench, and what a client can get wrong
 * that matters here (no credentials, the wrong key id) is caught; a bad secret is not. Header
 * (`Authorization: AWS4-HMAC-SHA256 Credential=KEY/…`) and presigned (`X-Amz-Credential=KEY/…`)
 * forms are accepted, as is SigV2 (`AWS KEY:sig`).
 */
export function checkCredential(req: IncomingMessage, query: URLSearchParams, accessKeyId: string): void {
  const auth = req.headers.authorization;
  let key: string | undefined;
  if (auth !== undefined) {
    key = /Credential=([^/,\s]+)\//.exec(auth)?.[1] ?? /^AWS ([^:\s]+):/.exec(auth)?.[1];
  } else {
    key = query.get('X-Amz-Credential')?.split('/')[0];
  }
  if (key === undefined) throw s3Errors.accessDenied('the request is not signed');
  if (key !== accessKeyId) throw s3Errors.invalidAccessKeyId(key);
}
