/**
 * Request size limits of the deployed API, shared by the infrastructure (lib/) and the local server, which answers
 * 413 where AWS would refuse the request.
 *
 * A request reaches the function as one JSON event, and Lambda refuses a synchronous invocation whose event is over
 * 6 MB. API Gateway's own 10 MB payload limit never binds first: the body is inside the event, so the event is always
 * the bigger of the two.
 */

/**
 * The REST API's binaryMediaTypes: a request body of this Content-Type reaches the function base64-encoded (any other
 * is passed through as text), and a binary answer reaches the client as bytes only when this is the first media type
 * of the request's Accept header (as text in base64 otherwise).
 */
export const BINARY_MEDIA_TYPE = 'application/octet-stream';

/** Lambda's synchronous invocation payload limit, in bytes: the whole event API Gateway sends, body included. */
export const LAMBDA_SYNC_PAYLOAD_BYTES = 6_291_456;

/**
 * Lambda's limit for what a synchronous invocation returns, in bytes: the whole proxy result as JSON (status,
 * headers and the body, base64 for a binary one). It is 100 bytes over 6 MiB, as Lambda's own error message says.
 * A bigger answer fails in Lambda, and API Gateway then answers 502.
 */
export const LAMBDA_SYNC_RESPONSE_BYTES = 6_291_556;

/**
 * Room kept for the event's other fields: the request context, and the headers, which a REST API proxy event holds
 * twice (`headers` and `multiValueHeaders`). An ordinary request with an API key takes about 2 KB; 8 KiB also covers a
 * Cognito token (about 1 KB, sent twice, plus its claims in the request context).
 */
export const EVENT_ENVELOPE_BYTES = 8_192;

/** The most bytes the body may take inside the event: 6,283,264. */
export const MAX_EVENT_BODY_BYTES = LAMBDA_SYNC_PAYLOAD_BYTES - EVENT_ENVELOPE_BYTES;

/**
 * The biggest binary body (a content type in the API's binaryMediaTypes): API Gateway base64-encodes it into the
 * event, 4 characters for every 3 bytes, so 4,712,448 bytes (about 4.5 MiB) fit, not 6 MB.
 */
export const MAX_BINARY_BODY_BYTES = Math.floor(MAX_EVENT_BODY_BYTES / 4) * 3;

/**
 * The bytes a request body takes inside the event: base64 for a binary body; for a text body its UTF-8 bytes plus
 * what JSON escaping adds (`"`, `\` and \b \t \n \f \r become two characters, other control characters six).
 */
export function eventBodyBytes(body: Uint8Array, binary: boolean): number {
  if (binary) return Math.ceil(body.byteLength / 3) * 4;
  let bytes = body.byteLength;
  // An indexed loop: iterating a Uint8Array with for...of is several times slower, per byte of a multi-MB body.
  for (let index = 0; index < body.length; index++) {
    const byte = body[index];
    if (byte === 0x22 || byte === 0x5c || (byte >= 0x08 && byte <= 0x0d && byte !== 0x0b)) bytes += 1;
    else if (byte < 0x20) bytes += 5;
  }
  return bytes;
}

/**
 * The most dimensions a request tensor may have (its `shape` length, and so how deep its `data` may nest): numpy's own
 * limit since 2.0, so any array a client can build fits. Parsed JSON may nest without bound (JSON.parse handles it);
 * what the runtime does with it afterwards must not, so a deeper shape is refused before anything walks it.
 */
export const MAX_TENSOR_RANK = 64;
