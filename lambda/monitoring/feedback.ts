import { CAPTURE_FORMAT, type FeedbackRecord } from '../../contract/capture';
import { CAPTURE_MARKER } from '../../contract/environment';
import { MAX_FEEDBACK_ID_LENGTH } from '../../contract/json-schemas';
import { BadRequestError, PayloadTooLargeError } from '../protocol/errors';
import { quote } from '../protocol/json';
import { MAX_LOG_EVENT_BYTES } from '../shadow/shadow-sample';

/** Keeps one feedback record; may throw an InferenceError when it cannot (the caller then gets that answer). */
export type FeedbackSink = (record: FeedbackRecord) => void;

/** What the feedback route takes, for "the body must be ..." messages. */
export const FEEDBACK_REQUEST_BODY =
  'a JSON object with the inference request\'s "id" and its true "label" (classification) or "value" (regression)';

/**
 * The feedback record of a feedback route's body (already parsed as JSON). Throws BadRequestError naming the field
 * that is wrong and what it must be.
 */
export function feedbackRecord(model: string, body: unknown, time: Date): FeedbackRecord {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError(`the feedback body must be ${FEEDBACK_REQUEST_BODY}`);
  }
  const { id, label, value } = body as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_FEEDBACK_ID_LENGTH) {
    throw new BadRequestError(
      `"id" must be the "id" of the inference request the feedback is about, a string of 1 to ` +
        `${MAX_FEEDBACK_ID_LENGTH} characters; got ${describe(id)}`,
    );
  }
  if (label !== undefined && value !== undefined) {
    throw new BadRequestError('give either "label" or "value", not both: a model is a classifier or a regression');
  }
  if (label === undefined && value === undefined) {
    throw new BadRequestError(
      'the feedback has no truth: give "label" (the true class, or an array of them for a batch) or "value" ' +
        '(the true number, or an array of them for a batch)',
    );
  }
  const truth =
    label !== undefined
      ? truthList('label', label, isLabel, LABEL_RULE)
      : truthList('value', value, isValue, VALUE_RULE);
  return { format: CAPTURE_FORMAT, kind: 'feedback', id, time: time.toISOString(), model, truth };
}

const LABEL_RULE = 'a class label (a string) or a class index (an integer from 0)';
const VALUE_RULE = 'a finite number';

function isLabel(element: unknown): element is string | number {
  return typeof element === 'string' || (Number.isInteger(element) && (element as number) >= 0);
}

function isValue(element: unknown): element is number {
  return typeof element === 'number' && Number.isFinite(element);
}

function truthList<T extends string | number>(
  field: string,
  given: unknown,
  isElement: (element: unknown) => element is T,
  rule: string,
): T[] {
  if (!Array.isArray(given)) {
    if (isElement(given)) return [given];
    throw new BadRequestError(`"${field}" must be ${rule}, or an array of them for a batch; got ${describe(given)}`);
  }
  if (given.length === 0) {
    throw new BadRequestError(`"${field}" is an empty array; give one truth per batch row of the inference request`);
  }
  given.forEach((element, index) => {
    if (!isElement(element)) {
      throw new BadRequestError(`"${field}"[${index}] must be ${rule}; got ${describe(element)}`);
    }
  });
  return given as T[];
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string')
    return value.length === 0 ? 'an empty string' : `a string of ${value.length} characters`;
  if (Array.isArray(value)) return 'an array';
  return value === null ? 'null' : quote(JSON.stringify(value));
}

/**
 * Writes each feedback record as one log line with the capture marker, for the capture writer's subscription
 * filter. A record CloudWatch Logs would refuse is refused to the caller (413), not silently lost: unlike a capture
 * sample, feedback is sent to be kept.
 */
export function feedbackLogSink(out: (line: string) => void = writeStdout): FeedbackSink {
  return (record) => {
    const line = JSON.stringify({ [CAPTURE_MARKER]: 1, ...record });
    const bytes = Buffer.byteLength(line);
    if (bytes > MAX_LOG_EVENT_BYTES) {
      throw new PayloadTooLargeError(
        `the feedback is ${bytes} bytes as a log record, over the ${MAX_LOG_EVENT_BYTES} bytes one record can ` +
          'hold; send it in smaller batches, one request per inference request',
      );
    }
    out(line);
  };
}

function writeStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}
