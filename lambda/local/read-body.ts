import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  eventBodyBytes,
  LAMBDA_SYNC_PAYLOAD_BYTES,
  MAX_BINARY_BODY_BYTES,
  MAX_EVENT_BODY_BYTES,
} from '../../contract/limits';

/** A body over the limit: refused from its Content-Length, or as soon as a chunked body's running count passes it. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** The client closed the connection (or reset it) before the whole body arrived: there is no one left to answer. */
export class ClientClosedError extends Error {
  override readonly name = 'ClientClosedError';
}

/**
 * How big a body may be, and the 413 message for a body over it: its size from the Content-Length, or undefined for
 * a chunked body cut short once over the limit.
 */
export interface BodyLimit {
  readonly bytes: number;
  tooLarge(bytes: number | undefined): string;
}

/**
 * Reads the whole request body. A body over the limit is refused before any of it is read when its Content-Length
 * says so, and otherwise as soon as the running count passes the limit; the caller answers 413 and closes the
 * connection (`answerAndClose`), so the rest is never read. A client that sent `Expect: 100-continue` is told to
 * continue only once its Content-Length is known to fit, so an oversized body is never sent at all.
 */
export function readBody(request: IncomingMessage, response: ServerResponse, limit: BodyLimit): Promise<Buffer> {
  const declared = request.headers['content-length'];
  // Node's HTTP parser has already refused a Content-Length that is not a decimal number.
  if (declared !== undefined && Number(declared) > limit.bytes) {
    return Promise.reject(new BodyTooLargeError(limit.tooLarge(Number(declared))));
  }
  if (request.headers.expect?.toLowerCase() === '100-continue') response.writeContinue();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    // The listeners stay: after "end" nothing more comes, and after a refusal or an error the flag ignores the rest.
    // Taking three listeners off again cost every request more than the flag.
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      if (error === undefined) resolve(Buffer.concat(chunks, received));
      else reject(error);
    };
    const onData = (chunk: Buffer) => {
      if (settled) return;
      received += chunk.byteLength;
      if (received <= limit.bytes) chunks.push(chunk);
      else settle(new BodyTooLargeError(limit.tooLarge(undefined)));
    };
    const onEnd = () => settle();
    // Node reports a connection closed or reset mid-body as an "aborted" error on the request.
    const onError = () =>
      settle(
        new ClientClosedError(
          `the client closed the connection after ${received} of ${declared ?? 'an unknown number of'} body bytes`,
        ),
      );
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
  });
}

/**
 * The local server's limit: what fits in the Lambda event API Gateway would build. A binary body is base64-encoded
 * there, so its limit is exact before reading; a JSON body's escaping is counted after (`checkEventBodySize`).
 */
export function eventBodyLimit(binary: boolean): BodyLimit {
  return binary ? BINARY_BODY_LIMIT : JSON_BODY_LIMIT;
}

// Built once: every request asks for one of the two.
const BINARY_BODY_LIMIT: BodyLimit = {
  bytes: MAX_BINARY_BODY_BYTES,
  tooLarge: (bytes) =>
    (bytes === undefined
      ? `the binary request body is over ${MAX_BINARY_BODY_BYTES} bytes, which API Gateway base64-encodes to over `
      : `the binary request body is ${bytes} bytes, which API Gateway base64-encodes to `) +
    `${Math.ceil((bytes ?? MAX_BINARY_BODY_BYTES) / 3) * 4}; a Lambda request holds ${LAMBDA_SYNC_PAYLOAD_BYTES} ` +
    `bytes, so binary bodies can be at most ${MAX_BINARY_BODY_BYTES} bytes: send a smaller batch`,
};

const JSON_BODY_LIMIT: BodyLimit = {
  bytes: MAX_EVENT_BODY_BYTES,
  tooLarge: (bytes) =>
    `the request body is ${bytes === undefined ? '' : `${bytes} bytes, `}over the ${MAX_EVENT_BODY_BYTES} bytes a ` +
    `Lambda request can carry (${LAMBDA_SYNC_PAYLOAD_BYTES} for the whole event); send a smaller batch`,
};

/**
 * Refuses a body that API Gateway would turn into an event over Lambda's limit: a JSON body grows by its escaped
 * quotes, backslashes and control characters.
 */
export function checkEventBodySize(body: Buffer, binary: boolean): void {
  // Escaped, a byte takes at most six (\u0000): a body that fits even so is not counted byte by byte, which took
  // longer than JSON.parse of the same body.
  if (body.byteLength * 6 <= MAX_EVENT_BODY_BYTES) return;
  const inEvent = eventBodyBytes(body, binary);
  if (inEvent <= MAX_EVENT_BODY_BYTES) return;
  throw new BodyTooLargeError(
    `the request body is ${body.byteLength} bytes, ${inEvent} once its quotes are escaped inside the Lambda event; ` +
      `a Lambda request holds ${LAMBDA_SYNC_PAYLOAD_BYTES} bytes, so a JSON body can take at most ` +
      `${MAX_EVENT_BODY_BYTES} there: send a smaller batch, or large tensors as binary tensor data`,
  );
}
