import { FILE_SCOPE, type FilesyncError, PermanentError, TransientError, classifyError } from '@filesync/core';
import { NakError, type NakInfo, nakErrorName, opcodeName } from '@filesync/mavftp-codec';

/** A NAK from the autopilot, kept as data so the caller can branch on `error`. */
export class NakReply extends Error {
  override readonly name = 'NakReply';
  constructor(readonly opcode: number, readonly nak: NakInfo) {
    super(`${opcodeName(opcode)} refused: ${nakErrorName(nak.error)}${nak.errno === undefined ? '' : ` (errno ${nak.errno})`}`);
  }
}

/** errno values PX4 may put in a FailErrno NAK (NuttX/Linux numbering). */
const ERRNO_CODES: Record<number, { transient: boolean; code: FilesyncError['code'] }> = {
  2: { transient: false, code: 'not-found' },
  5: { transient: true, code: 'device-gone' },
  12: { transient: true, code: 'busy' },
  13: { transient: false, code: 'permission' },
  16: { transient: true, code: 'busy' },
  17: { transient: false, code: 'conflict' },
  20: { transient: false, code: 'not-found' },
  21: { transient: false, code: 'bad-request' },
  22: { transient: false, code: 'bad-request' },
  28: { transient: true, code: 'no-space' },
  30: { transient: false, code: 'permission' },
};

/**
 * The device's one classifier: cancellation first, then MAVFTP NAK codes, then the shared errno
 * table. NAKs are treated generically where PX4 may send a stale errno (MAVFTP.md, NAK).
 *
 * Which NAKs are whose: the session ones (NoSessionsAvailable, InvalidSession) are the link's — any
 * other file would meet them too. A generic refusal (Fail, FailErrno with EIO or an errno we do not
 * know, InvalidDataSize, a code we do not know) answers a request about one path: it may pass, so it
 * stays transient, but it is marked as that file's own (`FILE_SCOPE`), so the pipeline counts it
 * against the file, which steps aside and ends `failed` with this reason rather than holding up the
 * rest of the autopilot's files.
 */
export function classify(err: unknown, path?: string): FilesyncError {
  if (err instanceof Error && err.name === 'AbortError') return new TransientError('cancelled', err.message, { cause: err });
  if (err instanceof NakReply) {
    const detail = { nak: nakErrorName(err.nak.error), opcode: opcodeName(err.opcode), ...(path ? { path } : {}), ...(err.nak.errno === undefined ? {} : { errno: err.nak.errno }) };
    const where = path ? `${path}: ` : '';
    switch (err.nak.error) {
      case NakError.FileNotFound:
        return new PermanentError('not-found', `${where}no such file on the autopilot`, { cause: err, detail });
      case NakError.FileProtected:
        return new PermanentError('permission', `${where}the autopilot protects this path`, { cause: err, detail });
      case NakError.FileExists:
        return new PermanentError('conflict', `${where}${err.message}`, { cause: err, detail });
      case NakError.UnknownCommand:
        return new PermanentError('unsupported', `${where}${err.message}`, { cause: err, detail });
      case NakError.NoSessionsAvailable:
        return new TransientError('busy', `${where}the autopilot's FTP session is held by another client`, { cause: err, detail });
      case NakError.InvalidSession:
        return new TransientError('disconnected', `${where}the FTP session was lost (autopilot rebooted or timed it out)`, { cause: err, detail });
      case NakError.FailErrno: {
        const mapped = ERRNO_CODES[err.nak.errno ?? -1];
        if (mapped && mapped.code !== 'device-gone') {
          return mapped.transient
            ? new TransientError(mapped.code, `${where}${err.message}`, { cause: err, detail })
            : new PermanentError(mapped.code, `${where}${err.message}`, { cause: err, detail });
        }
        // EIO: the SD card failed this file's read; the autopilot itself is still answering.
        return new TransientError('busy', `${where}${err.message}`, { cause: err, detail: { ...detail, ...FILE_SCOPE } });
      }
      default:
        return new TransientError('busy', `${where}${err.message}`, { cause: err, detail: { ...detail, ...FILE_SCOPE } });
    }
  }
  return classifyError(err);
}
