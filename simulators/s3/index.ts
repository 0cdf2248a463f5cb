export { AWS_MIN_PART_SIZE, startS3Simulator, type S3Simulator, type S3SimulatorOptions } from './server';
export { NO_FAULTS, parseFaultPatch, type FaultPatch, type S3Faults } from './faults';
export type { S3Counters } from './sim-state';
