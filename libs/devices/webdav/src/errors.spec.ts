import { describe, expect, it } from 'vitest';
import { classify, classifyStatus } from './errors';

describe('classifyStatus', () => {
  it.each([
    [401, 'permanent', 'permission', /refused the credentials/],
    [403, 'permanent', 'permission', /forbidden/],
    [404, 'permanent', 'not-found', /HTTP 404/],
    [413, 'permanent', 'bad-request', /larger than the server accepts/],
    [400, 'permanent', 'bad-request', /HTTP 400/],
    [423, 'transient', 'busy', /HTTP 423/],
    [503, 'transient', 'busy', /HTTP 503/],
    [500, 'transient', 'internal', /HTTP 500/],
    [504, 'transient', 'timeout', /HTTP 504/],
    [507, 'transient', 'no-space', /no space left \(507 Insufficient Storage\)/],
    [301, 'permanent', 'bad-request', /redirects; set url/],
  ] as const)('%i is %s %s', (status, kind, code, message) => {
    expect(classifyStatus(status, 'PUT a.part')).toMatchObject({ kind, code, message: expect.stringMatching(message) });
  });
  it('keeps a short, tag-free excerpt of the server body', () => {
    const err = classifyStatus(500, 'PUT x', `<html><body><h1>Boom</h1>${'x'.repeat(1000)}</body></html>`);
    expect(err.message).toContain('Boom');
    expect(err.message).not.toContain('<h1>');
    expect(err.message.length).toBeLessThan(400);
  });
});

describe('classify (no HTTP answer)', () => {
  const fetchFailed = (cause: object) => Object.assign(new TypeError('fetch failed'), { cause });
  it('finds the reason on fetch’s cause chain', () => {
    expect(classify(fetchFailed(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })))).toMatchObject({ kind: 'transient', code: 'disconnected' });
    expect(classify(fetchFailed(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })))).toMatchObject({ kind: 'transient', code: 'disconnected' });
    expect(classify(fetchFailed(Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' })))).toMatchObject({ kind: 'transient', code: 'timeout' });
    expect(classify(fetchFailed(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })))).toMatchObject({ kind: 'permanent', code: 'permission' });
  });
  it('cancellation first; an unknown failure without an answer is a transient disconnect', () => {
    expect(classify(new DOMException('aborted', 'AbortError'))).toMatchObject({ kind: 'transient', code: 'cancelled' });
    expect(classify(new TypeError('fetch failed'))).toMatchObject({ kind: 'transient', code: 'disconnected' });
  });
  it('redacts the message', () => {
    const err = classify(fetchFailed(Object.assign(new Error('bad header Basic c2VjcmV0'), { code: 'UND_ERR_SOCKET' })), (t) => t.replace('c2VjcmV0', '***'));
    expect(err.message).toBe('bad header Basic ***');
  });
});
