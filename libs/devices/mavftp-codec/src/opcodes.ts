/**
 * MAVFTP opcodes and NAK error codes as PX4 numbers them (mavlink_ftp.h `Opcode` / `ErrorCode`,
 * common.xml MAV_FTP_OPCODE / MAV_FTP_ERR). Plain const objects so they cross worker threads as data.
 */
export const Opcode = {
  None: 0,
  TerminateSession: 1,
  ResetSessions: 2,
  ListDirectory: 3,
  OpenFileRO: 4,
  ReadFile: 5,
  CreateFile: 6,
  WriteFile: 7,
  RemoveFile: 8,
  CreateDirectory: 9,
  RemoveDirectory: 10,
  OpenFileWO: 11,
  TruncateFile: 12,
  Rename: 13,
  CalcFileCRC32: 14,
  BurstReadFile: 15,
  ListDirectoryWithTime: 16,
  Ack: 128,
  Nak: 129,
} as const;
export type OpcodeName = keyof typeof Opcode;
export type OpcodeValue = (typeof Opcode)[OpcodeName];

export const NakError = {
  None: 0,
  Fail: 1,
  FailErrno: 2,
  InvalidDataSize: 3,
  InvalidSession: 4,
  NoSessionsAvailable: 5,
  EOF: 6,
  UnknownCommand: 7,
  FileExists: 8,
  FileProtected: 9,
  FileNotFound: 10,
} as const;
export type NakErrorName = keyof typeof NakError;
export type NakErrorValue = (typeof NakError)[NakErrorName];

const OPCODE_NAMES = new Map<number, OpcodeName>(Object.entries(Opcode).map(([k, v]) => [v, k as OpcodeName]));
const NAK_NAMES = new Map<number, NakErrorName>(Object.entries(NakError).map(([k, v]) => [v, k as NakErrorName]));

/** Name of an opcode for logs and errors; unknown numbers (a newer PX4) print as `Opcode(N)`. */
export function opcodeName(code: number): string {
  return OPCODE_NAMES.get(code) ?? `Opcode(${code})`;
}

export function nakErrorName(code: number): string {
  return NAK_NAMES.get(code) ?? `NakError(${code})`;
}

export const ALL_OPCODES: readonly OpcodeValue[] = Object.values(Opcode);
export const ALL_NAK_ERRORS: readonly NakErrorValue[] = Object.values(NakError);
