import type { IncomingMessage } from 'node:http';

/** Lambda's synchronous invocation payload limit: a bigger request never reaches the function in AWS. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Reads the whole request body, refusing it as soon as it passes `limit` bytes instead of buffering it all. */
export async function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) throw new BodyTooLargeError(tooLarge(declared, limit));
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of request) {
    received += (chunk as Buffer).byteLength;
    if (received > limit) throw new BodyTooLargeError(tooLarge(received, limit));
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, received);
}

function tooLarge(bytes: number, limit: number): string {
  return (
    `the request body is over ${limit} bytes (got at least ${bytes}), Lambda's limit for a synchronous request; ` +
    'send smaller batches'
  );
}
