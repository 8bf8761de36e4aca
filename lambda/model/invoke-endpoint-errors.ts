import { logger } from '../observability';
import {
  BadGatewayError,
  ForwardedClientError,
  type InferenceError,
  ServiceUnavailableError,
  TooManyRequestsError,
} from '../protocol/errors';

/** Seconds a caller is told to wait when the endpoint is down or not ready: long enough for a container to start. */
export const ENDPOINT_RETRY_AFTER_SECONDS = 5;

interface SdkError {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly OriginalStatusCode?: number;
  readonly OriginalMessage?: string;
}

/**
 * Maps a failed InvokeEndpoint to the protocol's answers: a client error from the container keeps its status and
 * message (ModelError carries both), a throttle is a 429, an endpoint that is missing, down or not ready is a 503
 * with Retry-After. Anything else is a 502 whose details go to the log, not to the caller.
 */
export function invokeEndpointError(error: unknown, endpointName: string): InferenceError {
  const sdk = (typeof error === 'object' && error !== null ? error : {}) as SdkError;
  const down = (why: string) =>
    new ServiceUnavailableError(
      `the SageMaker endpoint ${endpointName} ${why}; retry in ${ENDPOINT_RETRY_AFTER_SECONDS} s, and if it lasts, ` +
        'check the endpoint in the SageMaker console (status, CloudWatch logs)',
      ENDPOINT_RETRY_AFTER_SECONDS,
    );
  switch (sdk.name) {
    case 'ModelError': {
      const status = sdk.OriginalStatusCode;
      if (status !== undefined && status >= 400 && status < 500) {
        return new ForwardedClientError(originalMessage(sdk.OriginalMessage), status);
      }
      if (status === 503) return down('cannot serve the model right now (it answered 503)');
      logger.error('sagemaker endpoint failed', { endpointName, originalStatusCode: status, error });
      return new BadGatewayError(
        `the model on SageMaker endpoint ${endpointName} failed (status ${status ?? 'unknown'}); see the endpoint's ` +
          'CloudWatch logs',
      );
    }
    case 'ThrottlingException':
      return new TooManyRequestsError(
        `the SageMaker endpoint ${endpointName} is throttling requests; retry in 1 s, or raise its concurrency`,
        1,
      );
    case 'ModelNotReadyException':
      return down('has no model ready yet');
    case 'ServiceUnavailable':
    case 'InternalDependencyException':
      return down('is unavailable');
    case 'ValidationError':
      if (/not found/i.test(sdk.message ?? '')) return down('does not exist (not created yet, or deleted)');
      break;
  }
  const network = sdk.$metadata?.httpStatusCode === undefined ? networkErrorCode(sdk) : undefined;
  if (network !== undefined) return down(`cannot be reached (${network})`);
  logger.error('sagemaker invocation failed', { endpointName, error });
  return new BadGatewayError(`the SageMaker endpoint ${endpointName} could not answer; see the function's logs`);
}

const NETWORK_ERROR = /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE)\b/;

/**
 * The socket error code of a request that never got an HTTP answer. Read from the message too: the SDK wraps an
 * error that is not an instance of this realm's Error (as under a test runner's sandbox) and keeps only its text.
 */
function networkErrorCode(error: SdkError): string | undefined {
  if (error.name === 'TimeoutError') return 'timeout';
  return NETWORK_ERROR.exec(error.code ?? '')?.[1] ?? NETWORK_ERROR.exec(error.message ?? '')?.[1];
}

/** The container's own `{"error"}` message where it sent one (this runtime does), else its text as it is. */
function originalMessage(original: string | undefined): string {
  if (original === undefined || original === '') return 'the model refused the request';
  try {
    const parsed = JSON.parse(original) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // Not JSON: a container other than this runtime's; its text is the best message there is.
  }
  return original.slice(0, 1_000);
}
