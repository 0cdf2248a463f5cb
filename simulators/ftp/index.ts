export { startFtpSimulator, type FtpSimulator, type FtpSimulatorOptions } from './ftp-simulator';
export { NO_FAULTS, parseFaultPatch, type FaultPatch, type FtpFaults } from './faults';
export type { SimStats } from './sim-state';
