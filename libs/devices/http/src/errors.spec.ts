import { describe, expect, it } from 'vitest';
import { classify, classifyHttpStatus, parseRetryAfter } from './errors';

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP-dates, and ignores garbage', () => {
    expect(parseRetryAfter('120', 0)).toBe(120_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 10:00:30 GMT', Date.parse('2026-11-25T10:00:00Z'))).toBe(30_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 09:00:00 GMT', Date.parse('2026-11-25T10:00:00Z'))).toBe(0);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
  });
});

describe('classifyHttpStatus', () => {
  it('retries 408, 429 and 5xx; refuses other 4xx for good', () => {
    expect(classifyHttpStatus(408, '')).toMatchObject({ kind: 'transient', code: 'timeout' });
    expect(classifyHttpStatus(429, '', 5000)).toMatchObject({ kind: 'transient', code: 'busy', detail: { status: 429, retryAfterMs: 5000 } });
    expect(classifyHttpStatus(500, 'oops')).toMatchObject({ kind: 'transient', code: 'internal' });
    expect(classifyHttpStatus(502, '')).toMatchObject({ kind: 'transient' });
    expect(classifyHttpStatus(507, '')).toMatchObject({ kind: 'transient', code: 'no-space' });
    expect(classifyHttpStatus(400, 'Invalid File')).toMatchObject({ kind: 'permanent', code: 'bad-request', message: 'HTTP 400: Invalid File' });
    expect(classifyHttpStatus(413, '')).toMatchObject({ kind: 'permanent', code: 'bad-request' });
    expect(classifyHttpStatus(403, '')).toMatchObject({ kind: 'permanent', code: 'permission' });
    expect(classifyHttpStatus(404, '')).toMatchObject({ kind: 'permanent', code: 'not-found' });
  });

  it('keeps only a short, single-line excerpt of an HTML error page', () => {
    const err = classifyHttpStatus(400, `<html>\n${'x'.repeat(5000)}</html>`);
    expect(err.message.length).toBeLessThan(320);
    expect(err.message).not.toContain('\n');
  });
});

describe('classify (request failures)', () => {
  it('treats socket failures as transient and untrusted certificates as permanent', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(classify(reset)).toMatchObject({ kind: 'transient', code: 'disconnected' });
    expect(classify(Object.assign(new Error('parse'), { code: 'HPE_INVALID_CONSTANT' }))).toMatchObject({ kind: 'transient', code: 'disconnected' });
    expect(classify(Object.assign(new Error('cert'), { code: 'CERT_HAS_EXPIRED' }))).toMatchObject({ kind: 'permanent', code: 'permission' });
    expect(classify(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toMatchObject({ kind: 'transient', code: 'cancelled' });
  });
});
