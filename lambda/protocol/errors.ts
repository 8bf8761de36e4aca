/**
 * Client-facing errors. Each carries the HTTP status it maps to and a message that says what was wrong and what was
 * expected; the handler sends the message as `{"error": message}`. Anything that is not an InferenceError is an
 * internal failure and is answered as a generic 500.
 */
export abstract class InferenceError extends Error {
  abstract readonly statusCode: number;
}

/** 400: the request is malformed or does not match the model (input name, datatype, shape, data length). */
export class BadRequestError extends InferenceError {
  readonly statusCode = 400;
  override readonly name = 'BadRequestError';
}

/** 404: unknown model, version or path. */
export class NotFoundError extends InferenceError {
  readonly statusCode = 404;
  override readonly name = 'NotFoundError';
}

/** 405: the path exists but not for this HTTP verb. */
export class MethodNotAllowedError extends InferenceError {
  readonly statusCode = 405;
  override readonly name = 'MethodNotAllowedError';
  constructor(
    message: string,
    readonly allowed: readonly string[],
  ) {
    super(message);
  }
}

/** 413: the request body is over the size limit. */
export class PayloadTooLargeError extends InferenceError {
  readonly statusCode = 413;
  override readonly name = 'PayloadTooLargeError';
}

/** An error whose answer says, in a Retry-After header, after how many seconds a new request may succeed. */
export abstract class RetryLaterError extends InferenceError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** 503: the model cannot be loaded right now; a request after `retryAfterSeconds` (the Retry-After header) tries again. */
export class ServiceUnavailableError extends RetryLaterError {
  readonly statusCode = 503;
  override readonly name = 'ServiceUnavailableError';
}

/** 429: the model's backend is throttling requests; a request after `retryAfterSeconds` may succeed. */
export class TooManyRequestsError extends RetryLaterError {
  readonly statusCode = 429;
  override readonly name = 'TooManyRequestsError';
}

/**
 * A client error answered by the model's own server (a SageMaker endpoint running this runtime): its status and
 * message reach the caller as they are, so a forwarded model answers a bad request exactly as a local one does.
 */
export class ForwardedClientError extends InferenceError {
  override readonly name = 'ForwardedClientError';
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/** 502: the model's own server failed to answer (a 5xx from a SageMaker endpoint); the details are in its logs. */
export class BadGatewayError extends InferenceError {
  readonly statusCode = 502;
  override readonly name = 'BadGatewayError';
}
