import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { CaptureWriterEnvironment } from '../../../contract/environment';
import { createCaptureWriter, parseCapturedRecord } from '../../../lambda/monitoring/capture-writer';
import { cloudWatchLogsEvent } from '../shadow/shadow-fixtures';
import { captureLogLine, feedbackRecord, penguinCapture } from './support/capture-records';

// A real S3-compatible server on loopback: the writer's PutObject requests run through the SDK for real.
const BUCKET = 'capture-bucket';
let server: S3rver;
let s3: S3Client;

beforeAll(async () => {
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: mkdtempSync(path.join(tmpdir(), 's3rver-')),
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await server.run();
  s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
});
afterAll(async () => {
  s3.destroy();
  await server.close();
});

const writer = () => createCaptureWriter({ s3, environment: { [CaptureWriterEnvironment.bucket]: BUCKET } });

async function objectLines(key: string): Promise<unknown[]> {
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const text = (await object.Body?.transformToString('utf8')) ?? '';
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);
}

describe('capture writer', () => {
  it('stores each record under its partition of the layout, one object per partition, without the marker', async () => {
    const first = penguinCapture([40, 18, 190, 3700], { id: 'a', time: '2026-12-01T09:59:59.000Z', label: 'Adelie' });
    const second = penguinCapture([50, 15, 220, 5400], { id: 'b', time: '2026-12-01T10:00:00.000Z', label: 'Gentoo' });
    const third = penguinCapture([41, 18, 191, 3800], { id: 'c', time: '2026-12-01T10:30:00.000Z', label: 'Adelie' });
    const otherVersion = penguinCapture([41, 18, 191, 3800], {
      id: 'd',
      time: '2026-12-01T10:30:00.000Z',
      label: 'Adelie',
      version: '2',
    });
    const feedback = feedbackRecord('a', 'Adelie', '2026-12-01T10:31:00.000Z');
    const result = await writer()(
      cloudWatchLogsEvent([first, second, third, otherVersion, feedback].map(captureLogLine)),
    );
    // cloudWatchLogsEvent numbers its log events 0, 1, 2...: each object is named after its partition's first.
    expect(result).toEqual({
      objects: [
        { key: 'captures/model=penguins/version=1/date=2026-12-01/hour=09/0.jsonl', records: 1 },
        { key: 'captures/model=penguins/version=1/date=2026-12-01/hour=10/1.jsonl', records: 2 },
        { key: 'captures/model=penguins/version=2/date=2026-12-01/hour=10/3.jsonl', records: 1 },
        { key: 'feedback/model=penguins/date=2026-12-01/hour=10/4.jsonl', records: 1 },
      ],
      skipped: 0,
    });
    expect(await objectLines(result.objects[1]?.key ?? '')).toEqual([second, third]);
    expect(await objectLines(result.objects[3]?.key ?? '')).toEqual([feedback]);
  });

  it('rewrites the same keys when CloudWatch Logs delivers a batch again, so rows are never doubled', async () => {
    const record = penguinCapture([40, 18, 190, 3700], { id: 'e', time: '2026-12-01T11:00:00.000Z', label: 'Adelie' });
    const event = cloudWatchLogsEvent([captureLogLine(record)]);
    await writer()(event);
    await writer()(event);
    const listed = await s3.send(
      new ListObjectsV2Command({
        Bucket: BUCKET,
        Prefix: 'captures/model=penguins/version=1/date=2026-12-01/hour=11/',
      }),
    );
    expect(listed.Contents?.map((object) => object.Key)).toEqual([
      'captures/model=penguins/version=1/date=2026-12-01/hour=11/0.jsonl',
    ]);
  });

  it('skips log events that are no capture record, and writes the rest', async () => {
    const record = penguinCapture([40, 18, 190, 3700], { id: 'f', time: '2026-12-01T12:00:00.000Z', label: 'Adelie' });
    const result = await writer()(
      cloudWatchLogsEvent([
        '{"level":"INFO","message":"model loaded"}',
        'not json',
        captureLogLine({ ...record, model: '../escape' }),
        captureLogLine(record),
      ]),
    );
    expect(result.skipped).toBe(3);
    expect(result.objects.map((object) => object.records)).toEqual([1]);
  });

  it('ignores the control message CloudWatch Logs sends when the subscription is created', async () => {
    const { gzipSync } = await import('node:zlib');
    const data = gzipSync(JSON.stringify({ messageType: 'CONTROL_MESSAGE', logEvents: [] })).toString('base64');
    expect(await writer()({ awslogs: { data } })).toEqual({ objects: [], skipped: 0 });
  });

  it('fails when the bucket refuses the write, so that Lambda retries the batch', async () => {
    const record = penguinCapture([40, 18, 190, 3700], { id: 'g', time: '2026-12-01T13:00:00.000Z', label: 'Adelie' });
    const missing = createCaptureWriter({ s3, environment: { [CaptureWriterEnvironment.bucket]: 'no-such-bucket' } });
    await expect(missing(cloudWatchLogsEvent([captureLogLine(record)]))).rejects.toThrow(/bucket/i);
  });

  it('fails at creation without its bucket variable, naming it', () => {
    expect(() => createCaptureWriter({ s3, environment: {} })).toThrow(
      'CAPTURE_BUCKET is not set: the capture writer is deployed by ModelCapture, which sets it',
    );
  });
});

describe('captured record parsing', () => {
  it.each([
    ['no JSON', 'plain text', 'the log event holds no JSON object'],
    ['no marker', '{"format":1,"kind":"inference"}', 'the log event has no "modelCapture": 1 field'],
    ['an unknown format', '{"modelCapture":1,"format":2}', `the record's "format" is not 1`],
    [
      'an unknown kind',
      '{"modelCapture":1,"format":1,"kind":"other","model":"m","id":"i","time":"2026-12-01T00:00:00Z"}',
      `the record's "kind" is neither "inference" nor "feedback"`,
    ],
    [
      'a version that is no key part',
      '{"modelCapture":1,"format":1,"kind":"inference","model":"m","version":"1/..","id":"i","time":"2026-12-01T00:00:00Z"}',
      'the record has no valid "version"',
    ],
  ])('rejects a log event with %s', (_what, message, reason) => {
    expect(parseCapturedRecord(message)).toBe(reason);
  });
});
