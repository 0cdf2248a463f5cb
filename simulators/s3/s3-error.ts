/**
 * An S3 error answer: the code a client branches on, its HTTP status, and the extra fields S3
 * puts in the `<Error>` document (`Key`, `BucketName`, `UploadId`, …).
 */
export class S3Error extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly fields: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'S3Error';
  }
}

/** The errors the simulator answers, with AWS's status codes and wording. */
export const s3Errors = {
  accessDenied: (why: string) => new S3Error('AccessDenied', 403, `Access Denied: ${why}`),
  invalidAccessKeyId: (key: string) =>
    new S3Error('InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: key }),
  noSuchBucket: (bucket: string) => new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: bucket }),
  noSuchKey: (key: string) => new S3Error('NoSuchKey', 404, 'The specified key does not exist.', { Key: key }),
  noSuchUpload: (uploadId: string) =>
    new S3Error('NoSuchUpload', 404, 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', {
      UploadId: uploadId,
    }),
  invalidBucketName: (bucket: string) => new S3Error('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: bucket }),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    new S3Error('BucketAlreadyOwnedByYou', 409, 'Your previous request to create the named bucket succeeded and you already own it.', { BucketName: bucket }),
  bucketNotEmpty: (bucket: string) => new S3Error('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty', { BucketName: bucket }),
  invalidArgument: (message: string, name: string, value: string) =>
    new S3Error('InvalidArgument', 400, message, { ArgumentName: name, ArgumentValue: value }),
  invalidPart: (partNumber: number) =>
    new S3Error(
      'InvalidPart',
      400,
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
      { PartNumber: String(partNumber) },
    ),
  invalidPartOrder: () => new S3Error('InvalidPartOrder', 400, 'The list of parts was not in ascending order. Parts must be ordered by part number.'),
  entityTooSmall: (size: number, min: number) =>
    new S3Error('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed object size.', {
      ProposedSize: String(size),
      MinSizeAllowed: String(min),
    }),
  malformedXml: () => new S3Error('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema'),
  badDigest: (what: string) => new S3Error('BadDigest', 400, `The ${what} you specified did not match the calculated checksum.`),
  preconditionFailed: (condition: string) =>
    new S3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', { Condition: condition }),
  invalidRange: (size: number) => new S3Error('InvalidRange', 416, 'The requested range is not satisfiable', { ActualObjectSize: String(size) }),
  incompleteBody: () => new S3Error('IncompleteBody', 400, 'You did not provide the number of bytes specified by the Content-Length HTTP header'),
  internalError: () => new S3Error('InternalError', 500, 'We encountered an internal error. Please try again.'),
  slowDown: () => new S3Error('SlowDown', 503, 'Please reduce your request rate.'),
  notImplemented: (what: string) => new S3Error('NotImplemented', 501, `A header or query you provided implies functionality that is not implemented: ${what}`),
  methodNotAllowed: (method: string) => new S3Error('MethodNotAllowed', 405, `The specified method is not allowed against this resource: ${method}`),
} as const;
