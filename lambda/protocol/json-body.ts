/** A request body read as JSON, with messages that say what the body must be when it is missing or not JSON. */
import { BadRequestError } from './errors';

/**
 * `expected` says what the route takes (`a JSON object with an "inputs" array`); `what` names the part of the body
 * that must be JSON, for bodies that are not JSON as a whole (the binary tensor data extension's JSON header).
 * Parsing itself takes any nesting depth; what decodes the result afterwards bounds it.
 */
export function parseJsonBody(
  body: Uint8Array | string | undefined,
  expected: string,
  what = 'the request body',
): unknown {
  if (body === undefined || body.length === 0) {
    throw new BadRequestError(`the request has no body; the body must be ${expected}`);
  }
  try {
    return JSON.parse(
      typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
    );
  } catch (error) {
    // V8's messages quote at most a few characters of the input, so they stay short whatever was sent.
    throw new BadRequestError(`${what} is not valid JSON (${(error as Error).message}); the body must be ${expected}`);
  }
}
