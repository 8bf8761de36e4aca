import { gunzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent } from 'aws-lambda';
import {
  CAPTURE_FORMAT,
  type CaptureRecord,
  capturePrefix,
  type FeedbackRecord,
  feedbackPrefix,
} from '../../contract/capture';
import { CAPTURE_MARKER, CaptureWriterEnvironment } from '../../contract/environment';
import { jsonInLogEvent } from '../log-event-json';
import { logger } from '../observability';

export interface CaptureWriterOptions {
  readonly s3: S3Client;
  readonly environment: NodeJS.ProcessEnv;
}

/** What one batch became: the objects written (key and line count) and the log events that were no record. */
export interface CaptureWriterResult {
  readonly objects: readonly { readonly key: string; readonly records: number }[];
  readonly skipped: number;
}

export type CaptureWriterHandler = (event: CloudWatchLogsEvent) => Promise<CaptureWriterResult>;

// Model names and versions become key parts; the runtime only serves names of this shape, so anything else in a
// record is not one of ours and must not choose where an object lands.
const KEY_PART = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * The capture writer: CloudWatch Logs hands it the capture and feedback records of the captured models' functions
 * (gzip, base64), and it stores them as JSON lines in the capture bucket, one object per partition of the layout
 * (contract/capture.ts) per batch. An object is named after the first log event of its partition: a batch that
 * CloudWatch Logs delivers again rewrites the same keys instead of duplicating rows. A failed write throws, so that
 * Lambda retries the batch; a log event that is no record is logged and skipped, never retried.
 */
export function createCaptureWriter({ s3, environment }: CaptureWriterOptions): CaptureWriterHandler {
  const bucket = environment[CaptureWriterEnvironment.bucket];
  if (bucket === undefined || bucket === '') {
    throw new Error(
      `${CaptureWriterEnvironment.bucket} is not set: the capture writer is deployed by ModelCapture, which sets it`,
    );
  }
  return async (event) => {
    const data = JSON.parse(gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8')) as
      | CloudWatchLogsDecodedData
      | { messageType: 'CONTROL_MESSAGE' };
    // CloudWatch Logs sends a control message when the subscription is created, to check the destination is reachable.
    if (data.messageType !== 'DATA_MESSAGE' || !('logEvents' in data)) return { objects: [], skipped: 0 };
    const partitions = new Map<string, { readonly writer: string; readonly lines: string[] }>();
    let skipped = 0;
    for (const logEvent of data.logEvents) {
      const record = parseCapturedRecord(logEvent.message);
      if (typeof record === 'string') {
        logger.warn('capture log event skipped', { reason: record, logEventId: logEvent.id });
        skipped++;
        continue;
      }
      const time = new Date(record.time);
      const prefix =
        record.kind === 'inference'
          ? capturePrefix(record.model, record.version, time)
          : feedbackPrefix(record.model, time);
      const partition = partitions.get(prefix) ?? { writer: logEvent.id, lines: [] };
      partition.lines.push(JSON.stringify(record));
      partitions.set(prefix, partition);
    }
    const objects = await Promise.all(
      [...partitions].map(async ([prefix, { writer, lines }]) => {
        const key = `${prefix}${writer}.jsonl`;
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: `${lines.join('\n')}\n`,
            ContentType: 'application/x-ndjson',
          }),
        );
        return { key, records: lines.length };
      }),
    );
    logger.info('captures written', { objects: objects.length, records: objects.reduce((n, o) => n + o.records, 0) });
    return { objects, skipped };
  };
}

/**
 * A capture or feedback record from one log event, without the marker field; or why the event is none.
 */
export function parseCapturedRecord(message: string): CaptureRecord | FeedbackRecord | string {
  const value = jsonInLogEvent(message);
  if (typeof value === 'string') return value;
  const { [CAPTURE_MARKER]: marker, ...record } = value as Record<string, unknown>;
  if (marker !== 1) return `the log event has no "${CAPTURE_MARKER}": 1 field`;
  if (record.format !== CAPTURE_FORMAT) return `the record's "format" is not ${CAPTURE_FORMAT}`;
  if (typeof record.model !== 'string' || !KEY_PART.test(record.model)) return 'the record has no valid "model"';
  if (typeof record.id !== 'string') return 'the record has no "id" string';
  if (typeof record.time !== 'string' || Number.isNaN(Date.parse(record.time))) {
    return 'the record has no ISO 8601 "time"';
  }
  if (record.kind === 'inference') {
    if (typeof record.version !== 'string' || !KEY_PART.test(record.version))
      return 'the record has no valid "version"';
    if (typeof record.request !== 'object' || typeof record.response !== 'object') {
      return 'the record has no "request" and "response"';
    }
    return record as unknown as CaptureRecord;
  }
  if (record.kind === 'feedback') {
    if (!Array.isArray(record.truth)) return 'the feedback record has no "truth" array';
    return record as unknown as FeedbackRecord;
  }
  return `the record's "kind" is neither "inference" nor "feedback"`;
}

let writer: CaptureWriterHandler | undefined;

/** Lambda entry point, built at the first event so that importing this module reads no environment. */
export const handler: CaptureWriterHandler = (event) => {
  writer ??= createCaptureWriter({ s3: new S3Client({}), environment: process.env });
  return writer(event);
};
