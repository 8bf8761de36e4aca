import type { IncomingMessage } from 'node:http';
import {
  eventBodyBytes,
  LAMBDA_SYNC_PAYLOAD_BYTES,
  MAX_BINARY_BODY_BYTES,
  MAX_EVENT_BODY_BYTES,
} from '../../contract/limits';

/**
 * An oversized body is still read to its end (and dropped) so that the client gets the 413 instead of a reset
 * connection while it is still sending; past this many bytes the connection is cut instead.
 */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/** A body that AWS would refuse: it does not fit in the Lambda event API Gateway would build from it. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/**
 * Reads the whole request body; rejects with BodyTooLargeError once it is over what any Lambda event can hold,
 * keeping none of it. Whether a body that fits here also fits once encoded is `checkEventBodySize`'s question.
 */
export function readBody(request: IncomingMessage, limit = MAX_EVENT_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let received = 0;
    request.on('data', (chunk: Buffer) => {
      received += chunk.byteLength;
      if (received <= limit) {
        chunks.push(chunk);
      } else {
        chunks = [];
        if (received > MAX_DRAIN_BYTES) request.destroy();
      }
    });
    request.on('end', () => {
      if (received > limit) {
        reject(
          new BodyTooLargeError(
            `the request body is ${received} bytes, over the ${limit} bytes a Lambda request can carry ` +
              `(${LAMBDA_SYNC_PAYLOAD_BYTES} for the whole event); send a smaller batch`,
          ),
        );
      } else {
        resolve(Buffer.concat(chunks, received));
      }
    });
    request.on('error', reject);
  });
}

/**
 * Refuses a body that API Gateway would turn into an event over Lambda's limit: a binary body grows by a third when
 * it is base64-encoded, a JSON body by its escaped quotes.
 */
export function checkEventBodySize(body: Buffer, binary: boolean): void {
  const inEvent = eventBodyBytes(body, binary);
  if (inEvent <= MAX_EVENT_BODY_BYTES) return;
  if (binary) {
    throw new BodyTooLargeError(
      `the binary request body is ${body.byteLength} bytes, which API Gateway base64-encodes to ${inEvent}; a Lambda ` +
        `request holds ${LAMBDA_SYNC_PAYLOAD_BYTES} bytes, so binary bodies can be at most ${MAX_BINARY_BODY_BYTES} ` +
        'bytes: send a smaller batch',
    );
  }
  throw new BodyTooLargeError(
    `the request body is ${body.byteLength} bytes, ${inEvent} once its quotes are escaped inside the Lambda event; ` +
      `a Lambda request holds ${LAMBDA_SYNC_PAYLOAD_BYTES} bytes, so a JSON body can take at most ` +
      `${MAX_EVENT_BODY_BYTES} there: send a smaller batch, or large tensors as binary tensor data`,
  );
}
