export { createHttpTarget, type HttpTarget } from './http-target';
export {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_RETRY_AFTER_SEC,
  DEFAULT_TIMEOUT_SEC,
  FLIGHT_REVIEW_FIELDS,
  FLIGHT_REVIEW_MAX_BYTES,
  HTTP_BACKOFF,
  checkFlightReviewFields,
  httpTargetOptionsFromConfig,
  type HttpTargetConfig,
  type HttpTargetOptions,
  type HttpTargetRuntime,
  type UploadAttempt,
} from './options';
export { classify, classifyHttpStatus, parseRetryAfter } from './errors';
export { multipartFrame, type MultipartFrame } from './multipart';
