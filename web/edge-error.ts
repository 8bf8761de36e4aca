/**
 * An inference that failed the way the API would fail it: `status` is the HTTP status the API answers (400 for a
 * request that does not match the model, or the endpoint's own status; 0 when the endpoint could not be reached) and
 * the message is the API's `error`.
 */
export class EdgeInferenceError extends Error {
  override readonly name = 'EdgeInferenceError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}
