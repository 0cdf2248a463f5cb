import { describe, expect, it } from 'vitest';
import { PermanentError } from '@filesync/core';
import { classify } from './errors';

const ftpError = (code: number, text = 'reply'): Error => Object.assign(new Error(`${code} ${text}`), { name: 'FTPError', code });

describe('classify', () => {
  it.each([
    [421, 'transient', 'disconnected'],
    [425, 'transient', 'disconnected'],
    [426, 'transient', 'disconnected'],
    [450, 'transient', 'busy'],
    [451, 'transient', 'busy'],
    [452, 'transient', 'no-space'],
    [552, 'transient', 'no-space'],
    [530, 'permanent', 'permission'],
    [550, 'permanent', 'not-found'],
    [553, 'permanent', 'permission'],
    [502, 'permanent', 'unsupported'],
    [501, 'permanent', 'bad-request'],
  ] as const)('FTP %i → %s %s', (code, kind, errorCode) => {
    expect(classify(ftpError(code))).toMatchObject({ kind, code: errorCode, detail: { ftpCode: code } });
  });

  it('puts cancellation first, keeps filesync errors, and falls back to errno', () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(classify(abort)).toMatchObject({ kind: 'transient', code: 'cancelled' });
    const mine = new PermanentError('conflict', 'x');
    expect(classify(mine)).toBe(mine);
    expect(classify(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toMatchObject({ kind: 'transient', code: 'disconnected' });
  });

  it('treats an untrusted certificate as permanent and basic-ftp socket errors as transient', () => {
    expect(classify(Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }))).toMatchObject({ kind: 'permanent', code: 'permission' });
    expect(classify(Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }))).toMatchObject({ kind: 'permanent', code: 'bad-request' });
    expect(classify(new Error('Timeout (data socket)'))).toMatchObject({ kind: 'transient', code: 'timeout' });
    expect(classify(new Error('Server sent FIN packet unexpectedly, closing connection.'))).toMatchObject({ kind: 'transient', code: 'disconnected' });
    expect(classify(new Error('something odd'))).toMatchObject({ kind: 'permanent', code: 'internal' });
  });
});
