import type { IncomingMessage } from 'node:http';

/** Lambda's synchronous invocation payload limit: a bigger request never reaches the function in AWS. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

/**
 * An oversized body is still read to its end (and dropped) so that the client gets the 413 instead of a reset
 * connection while it is still sending; past this many bytes the connection is cut instead.
 */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Reads the whole request body; rejects with BodyTooLargeError once it is over `limit` bytes, keeping none of it. */
export function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
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
            `the request body is ${received} bytes, over the ${limit}-byte limit of a synchronous Lambda ` +
              'request; send smaller batches',
          ),
        );
      } else {
        resolve(Buffer.concat(chunks, received));
      }
    });
    request.on('error', reject);
  });
}
