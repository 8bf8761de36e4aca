/**
 * When to send a request again. 429 (throttled by API Gateway or the model's backend) and 503 (a model still loading
 * or unavailable) are the API's "try again" answers; everything else is final. The delay is exponential with full
 * jitter (a random wait up to the exponential bound, so that many throttled clients do not retry in step), or what
 * the server's Retry-After asks when it asks for longer.
 */
export interface RetryOptions {
  /** Requests sent in all, the first included. @default 4 */
  readonly maxAttempts?: number;
  /** Bound of the first retry's random delay, doubling each retry. @default 100 */
  readonly baseDelayMs?: number;
  /** The longest wait before a retry, Retry-After included: a server asking for longer gets the error instead. @default 20000 */
  readonly maxDelayMs?: number;
}

export const RETRY_DEFAULTS: Required<RetryOptions> = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 20_000 };

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/**
 * The wait before retry number `retry` (1 for the first), or undefined when the answer must not be retried: attempts
 * used up, or a Retry-After beyond maxDelayMs. `retryAfter` is the header's value: seconds, or an HTTP date.
 */
export function retryDelayMs(
  options: Required<RetryOptions>,
  retry: number,
  retryAfter: string | null,
  random: () => number = Math.random,
  now: number = Date.now(),
): number | undefined {
  if (retry >= options.maxAttempts) return undefined;
  const jittered = random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  const asked = retryAfterMs(retryAfter, now);
  if (asked !== undefined && asked > options.maxDelayMs) return undefined;
  return Math.round(Math.max(jittered, asked ?? 0));
}

function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^[0-9]+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
