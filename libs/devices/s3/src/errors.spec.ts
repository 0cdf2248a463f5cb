import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { classify, isNotOffered } from './errors';

const where = { bucket: 'fleet', endpoint: 'http://127.0.0.1:9000' };

/** A service error as the SDK builds it from a store's answer. */
function answer(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: `${name} from the store` });
}

describe('classify (S3 error codes, then HTTP status, then errno)', () => {
  it('retries what may pass: SlowDown, 5xx, 429, timeouts, dropped connections, a forgotten upload', () => {
    expect(classify(answer('SlowDown', 503), where)).toMatchObject({ kind: 'transient', code: 'busy' });
    expect(classify(answer('InternalError', 500), where)).toMatchObject({ kind: 'transient', code: 'busy' });
    expect(classify(answer('Whatever', 502), where)).toMatchObject({ kind: 'transient', code: 'busy' });
    expect(classify(answer('TooManyRequests', 429), where)).toMatchObject({ kind: 'transient', code: 'busy' });
    expect(classify(answer('RequestTimeout', 400), where)).toMatchObject({ kind: 'transient', code: 'timeout' });
    expect(classify(answer('NoSuchUpload', 404), where)).toMatchObject({ kind: 'transient', code: 'conflict', detail: { s3Code: 'NoSuchUpload' } });
    expect(classify(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), where)).toMatchObject({ kind: 'transient', code: 'disconnected' });
    expect(classify(Object.assign(new Error('t'), { name: 'TimeoutError' }), where)).toMatchObject({ kind: 'transient', code: 'timeout' });
    expect(classify(Object.assign(new Error('a'), { name: 'AbortError' }), where)).toMatchObject({ kind: 'transient', code: 'cancelled' });
  });

  it('fails for good what retrying will not cure, naming the bucket', () => {
    const gone = classify(answer('NoSuchBucket', 404), where);
    expect(gone).toMatchObject({ kind: 'permanent', code: 'not-found' });
    expect(gone.message).toBe('bucket "fleet" does not exist on http://127.0.0.1:9000 (NoSuchBucket); create it or fix "bucket"');
    for (const code of ['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch']) {
      const denied = classify(answer(code, 403), where);
      expect(denied, code).toMatchObject({ kind: 'permanent', code: 'permission' });
      expect(denied.message).toContain('bucket "fleet"');
    }
    expect(classify(answer('EntityTooSmall', 400), where)).toMatchObject({ kind: 'permanent', code: 'bad-request' });
  });

  it('knows the calls a store may not offer (s3rver: 405 and 501)', () => {
    expect(isNotOffered(answer('MethodNotAllowed', 405))).toBe(true);
    expect(isNotOffered(answer('NotImplemented', 501))).toBe(true);
    expect(isNotOffered(answer('AccessDenied', 403))).toBe(false);
  });
});
