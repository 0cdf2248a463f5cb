import { NakError, Opcode } from './opcodes';
import { type FtpPayload, ftpPayload } from './payload';

export interface NakInfo {
  readonly error: number;
  /** Only when `error` is FailErrno (then `size` is 2). */
  readonly errno?: number;
}

/** Builds a NAK reply the way PX4 does: data[0] the error, data[1] the errno only for FailErrno. */
export function nakPayload(request: Pick<FtpPayload, 'seq' | 'session' | 'opcode' | 'offset'>, info: NakInfo, seqDelta = 1): FtpPayload {
  const data = info.error === NakError.FailErrno ? Uint8Array.of(info.error, (info.errno ?? 0) & 0xff) : Uint8Array.of(info.error);
  return ftpPayload({
    seq: (request.seq + seqDelta) & 0xffff,
    session: request.session,
    opcode: Opcode.Nak,
    reqOpcode: request.opcode,
    offset: request.offset,
    data,
  });
}

export function readNak(p: FtpPayload): NakInfo {
  const error = p.data[0] ?? NakError.None;
  return error === NakError.FailErrno && p.size >= 2 ? { error, errno: p.data[1] ?? 0 } : { error };
}
