import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { CaptureRecord, FeedbackRecord } from '../../contract/capture';

/** A half-open time range [start, end). */
export interface TimeWindow {
  readonly start: Date;
  readonly end: Date;
}

const HOUR_MS = 3_600_000;

// Objects are small (one batch of log events each) and many: a few reads in flight hide S3's per-request latency
// without holding many bodies in memory at once.
const READS_IN_FLIGHT = 8;

/** The start of every UTC hour that overlaps the window, oldest first: the hour partitions to list. */
export function windowHours({ start, end }: TimeWindow): Date[] {
  const hours: Date[] = [];
  for (let hour = Math.floor(start.getTime() / HOUR_MS) * HOUR_MS; hour < end.getTime(); hour += HOUR_MS) {
    hours.push(new Date(hour));
  }
  return hours;
}

/** What was read from a window's partitions: the records inside the window, and the lines that were no record. */
export interface WindowRecords<T> {
  readonly records: T[];
  readonly objects: number;
  readonly unreadableLines: number;
}

/**
 * The records of `kind` under the given partition prefixes whose `time` falls inside the window. A line that is not
 * a JSON record of that kind is counted, never thrown: one bad line must not hide a window's worth of captures.
 */
export async function readWindow<K extends 'inference' | 'feedback'>(
  s3: S3Client,
  bucket: string,
  prefixes: readonly string[],
  window: TimeWindow,
  kind: K,
): Promise<WindowRecords<K extends 'inference' ? CaptureRecord : FeedbackRecord>> {
  type Record = K extends 'inference' ? CaptureRecord : FeedbackRecord;
  const keys: string[] = [];
  for (const prefix of prefixes) keys.push(...(await listKeys(s3, bucket, prefix)));
  const records: Record[] = [];
  let unreadableLines = 0;
  const start = window.start.getTime();
  const end = window.end.getTime();
  for (let first = 0; first < keys.length; first += READS_IN_FLIGHT) {
    const bodies = await Promise.all(
      keys.slice(first, first + READS_IN_FLIGHT).map((key) => readText(s3, bucket, key)),
    );
    for (const body of bodies) {
      for (const line of body.split('\n')) {
        if (line.trim() === '') continue;
        const record = parseLine(line);
        if (record?.kind !== kind) {
          unreadableLines++;
          continue;
        }
        const time = Date.parse(record.time);
        if (time >= start && time < end) records.push(record as Record);
      }
    }
  }
  return { records, objects: keys.length, unreadableLines };
}

function parseLine(line: string): { readonly kind?: unknown; readonly time: string } | undefined {
  try {
    const value = JSON.parse(line) as { kind?: unknown; time?: unknown } | null;
    return typeof value?.time === 'string' ? { kind: value.kind, ...value, time: value.time } : undefined;
  } catch {
    return undefined;
  }
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
    );
    for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (response.Body === undefined) throw new Error(`s3://${bucket}/${key} returned no body`);
  return response.Body.transformToString('utf8');
}
