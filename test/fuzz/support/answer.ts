/** An HTTP answer as the oracle reads it, whether it came from the Lambda handler or over a socket. */
export interface Answer {
  readonly status: number;
  /** Header names lowercased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Longest error body the oracle accepts: an error names the problem in a sentence, it does not echo the request. */
export const MAX_ERROR_BODY_BYTES = 1024;

/** A broken promise of the API, with enough of the answer to see what went wrong. */
export class OracleFailure extends Error {
  override readonly name = 'OracleFailure';
  constructor(problem: string, answer?: Answer) {
    super(answer === undefined ? problem : `${problem}\n  got ${describeAnswer(answer)}`);
  }
}

export function describeAnswer(answer: Answer): string {
  const text = answer.body.subarray(0, 300).toString('utf8');
  const more = answer.body.byteLength > 300 ? `... (${answer.body.byteLength} bytes)` : '';
  return `${answer.status} ${answer.headers['content-type'] ?? '(no content-type)'} ${JSON.stringify(text)}${more}`;
}

/**
 * An error answer as the API promises it: JSON `{"error": "<what was wrong>"}` and nothing else, short, and naming
 * the problem (every pattern in `mentions` matches the message).
 */
export function expectErrorBody(answer: Answer, mentions: readonly RegExp[] = []): string {
  if (!/application\/json/i.test(answer.headers['content-type'] ?? '')) {
    throw new OracleFailure('an error answer must be JSON (Content-Type: application/json)', answer);
  }
  if (answer.body.byteLength > MAX_ERROR_BODY_BYTES) {
    throw new OracleFailure(
      `an error answer must be short (at most ${MAX_ERROR_BODY_BYTES} bytes), not echo the request`,
      answer,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(answer.body.toString('utf8'));
  } catch {
    throw new OracleFailure('an error answer must be a JSON body {"error": "..."}', answer);
  }
  const message = (json as { error?: unknown } | null)?.error;
  if (
    typeof json !== 'object' ||
    json === null ||
    Object.keys(json).length !== 1 ||
    typeof message !== 'string' ||
    message === ''
  ) {
    throw new OracleFailure('an error answer must be exactly {"error": "<message>"}', answer);
  }
  for (const pattern of mentions) {
    if (!pattern.test(message)) throw new OracleFailure(`the error message must name the problem (${pattern})`, answer);
  }
  return message;
}

/** A client mistake: one of `statuses` (all 4xx) with an error body naming the problem. */
export function expectClientError(answer: Answer, statuses: readonly number[], mentions: readonly RegExp[]): void {
  if (!statuses.includes(answer.status)) {
    throw new OracleFailure(`expected ${statuses.join(' or ')} with an error naming the problem`, answer);
  }
  expectErrorBody(answer, mentions);
}

/** What every answer must be, whatever was asked: never a 5xx, and an error only as a short JSON error body. */
export function expectNoServerError(answer: Answer, method = 'GET'): void {
  if (answer.status >= 500) throw new OracleFailure('a server error (5xx) for a client request', answer);
  if (answer.status >= 400 && method !== 'HEAD') expectErrorBody(answer);
}
