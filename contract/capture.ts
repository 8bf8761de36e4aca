/**
 * Data capture: the record format and the storage layout shared by the runtime that writes captures (the Lambda
 * function through its log and the capture writer, the local server with `--capture DIR`), the drift job and
 * `npm run drift` that read them, and users who retrain from them. Records are JSON lines; objects and local files
 * are partitioned Hive-style so that Athena, Glue, Spark or pandas read the layout as it is.
 *
 *   captures/model=<name>/version=<version>/date=<YYYY-MM-DD>/hour=<HH>/<writer>.jsonl   (CaptureRecord per line)
 *   feedback/model=<name>/date=<YYYY-MM-DD>/hour=<HH>/<writer>.jsonl                     (FeedbackRecord per line)
 *
 * Dates and hours are UTC, of the record's `time`. `<writer>` is unique per object or file (the local server uses
 * one file per process and hour; the capture writer one object per batch it receives).
 */

export const CAPTURE_FORMAT = 1;

/** One captured inference: the request as the caller sent it (after dropping and hashing) and the answer. */
export interface CaptureRecord {
  readonly format: typeof CAPTURE_FORMAT;
  readonly kind: 'inference';
  /** The request's `id` when the caller gave one (what feedback refers to), else the server's request id. */
  readonly id: string;
  /** The server's own id for the request: Lambda's request id, or a UUID from the local server. */
  readonly requestId: string;
  /** When the request was answered, ISO 8601 UTC with milliseconds. */
  readonly time: string;
  readonly model: string;
  readonly version: string;
  readonly request: CapturedBody;
  readonly response: CapturedBody;
}

/**
 * A body as captured. JSON bodies are kept as parsed JSON. A binary tensor data body is kept as its bytes
 * (base64) with the JSON header's length, exactly as sent, never re-encoded; when fields must be dropped or hashed
 * it cannot stay byte-exact, and is captured as the equivalent JSON instead.
 */
export type CapturedBody =
  | { readonly contentType: 'application/json'; readonly json: unknown }
  | { readonly contentType: 'application/octet-stream'; readonly headerLength: number; readonly base64: string };

/** The truth for an earlier request, sent to `POST /v2/models/<name>/feedback`. */
export interface FeedbackRecord {
  readonly format: typeof CAPTURE_FORMAT;
  readonly kind: 'feedback';
  /** The `id` of the inference request it is about (CaptureRecord.id). */
  readonly id: string;
  readonly time: string;
  readonly model: string;
  /** One true value per batch row of that request: a class label (string or class index) or a number. */
  readonly truth: readonly (string | number)[];
}

/**
 * The feedback route's JSON body: the request's `id` and its true label or value, one per batch row for a batch
 * (a single value for a one-row request). Exactly one of `label` and `value`.
 */
export interface FeedbackRequest {
  readonly id: string;
  readonly label?: string | number | readonly (string | number)[];
  readonly value?: number | readonly number[];
}

/**
 * What may be captured, per model: a share of requests, and named fields to drop or replace by a hash. A field is
 * a named feature (model.json "features") or a tensor name; a dropped field's values become null, a hashed one's
 * values become the first 16 hex digits of sha256(salt + value as JSON), so that equal values stay joinable
 * without being readable.
 */
export interface CapturePolicy {
  /** Share of inference requests captured, in (0, 1]. */
  readonly sampleRate: number;
  readonly dropFields: readonly string[];
  readonly hashFields: readonly string[];
}

/** Key (or relative file path) prefix of one model version's captures for one UTC hour. */
export function capturePrefix(model: string, version: string, time: Date): string {
  return `captures/model=${model}/version=${version}/${hourPartition(time)}/`;
}

/** Key (or relative file path) prefix of one model's feedback for one UTC hour. */
export function feedbackPrefix(model: string, time: Date): string {
  return `feedback/model=${model}/${hourPartition(time)}/`;
}

function hourPartition(time: Date): string {
  const iso = time.toISOString();
  return `date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`;
}
