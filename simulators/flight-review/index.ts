export {
  FLIGHT_REVIEW_MAX_BYTES,
  startFlightReviewSimulator,
  type FlightReviewSimulator,
  type FlightReviewSimulatorOptions,
  type SimulatorStats,
  type StoredLog,
} from './server';
export { FaultQueue, validateFault, type FaultSpec } from './faults';
export { ULOG_HEADER_BYTES, ULOG_MAGIC, hasUlogMagic, ulogHeader } from './ulog-header';
