/**
 * What a call to the API can fail with. An answer other than 2xx carries the server's own message (the API answers
 * `{"error": "..."}` for every failure, API Gateway's `{"message": "..."}` for its own refusals), so a caller sees
 * what was wrong and what the server expected, not only a status.
 */
export class ModelEndpointError extends Error {
  override readonly name = 'ModelEndpointError';

  constructor(
    message: string,
    /** The HTTP status, or undefined when no answer arrived (network failure, timeout). */
    readonly status: number | undefined,
    /** The server's message from the answer's body, when it had one. */
    readonly serverMessage?: string,
    /** How many requests were sent, retries included. */
    readonly attempts = 1,
  ) {
    super(message);
  }
}

/** The message of an error answer: `error` (this API), `message` (API Gateway), else the body's start. */
export function serverMessageOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) {
      const { error, message } = parsed as { error?: unknown; message?: unknown };
      if (typeof error === 'string') return error;
      if (typeof message === 'string') return message;
    }
  } catch {
    // Not JSON: a proxy's or load balancer's page; its start says more than nothing.
  }
  const text = body.trim();
  return text === '' ? undefined : text.slice(0, 200);
}
