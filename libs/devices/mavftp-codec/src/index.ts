export { Opcode, NakError, opcodeName, nakErrorName, ALL_OPCODES, ALL_NAK_ERRORS } from './opcodes';
export type { OpcodeName, OpcodeValue, NakErrorName, NakErrorValue } from './opcodes';
export {
  PAYLOAD_BYTES,
  HEADER_BYTES,
  MAX_DATA,
  ftpPayload,
  encodePayload,
  decodePayload,
  dataAsPath,
  pathData,
  u32Data,
  dataAsU32,
  nextSeq,
} from './payload';
export type { FtpPayload, FtpPayloadInit } from './payload';
export { nakPayload, readNak } from './nak';
export type { NakInfo } from './nak';
export { encodeDirEntry, packDirEntries, parseDirEntries } from './dir-entries';
export type { DirEntry } from './dir-entries';
export {
  MavlinkEncoder,
  MavlinkDecoder,
  MSG_HEARTBEAT,
  MSG_SYSTEM_TIME,
  MSG_FILE_TRANSFER_PROTOCOL,
  MODE_FLAG_SAFETY_ARMED,
  MAX_FTP_FRAME_BYTES,
} from './mavlink-frames';
export type { Heartbeat, MavMessage } from './mavlink-frames';
export { px4Crc32 } from './px4-crc32';
