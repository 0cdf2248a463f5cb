export { createMavftpSource, type MavftpSource, type MavftpSourceOptions } from './mavftp-source';
export { connectMavftp, type ConnectOptions } from './connect';
export { MavftpClient, type MavftpClientOptions, type ListedEntry, type ReadFileOptions, type ClientStats } from './ftp-client';
export { MavlinkLink, type MavlinkLinkOptions, type VehicleState } from './mavlink-link';
export { openTransport, streamTransport, type Transport, type TransportOptions, type SerialPortLike } from './transport';
export { parseLinkAddress, type LinkAddress, DEFAULT_SERIAL_BAUD } from './link-address';
export { fetchVerified, type FetchVerifiedOptions, type FetchVerifiedResult } from './fetch-verified';
export { runMavftpCommand, MAVFTP_USAGE, type CliIo } from './cli';
export { classify, NakReply } from './errors';
