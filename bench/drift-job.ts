/**
 * How long the scheduled drift job takes for a day of captures: 10,000 captured penguins requests (held-out rows
 * drawn at random, the body mass of half of them shifted, so the job also sends its event), logged by the real
 * runtime handler with capture on, stored by the real capture writer in batches of 100 (one object per batch, as
 * CloudWatch Logs delivers them), then one job run over the window against s3rver on loopback (local disk: real
 * S3 adds its per-request latency to each of the 100 reads, 8 of which are in flight at a time). Reports the run
 * time per round, its median, and the rows per second.
 * Run: npx tsx bench/drift-job.ts [--quick]   (--quick: 2,000 requests, 2 rounds)
 */
import './environment';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { CaptureWriterEnvironment, DriftJobEnvironment } from '../contract/environment';
import { createCaptureWriter } from '../lambda/monitoring/capture-writer';
import { createDriftJob } from '../lambda/monitoring/drift-job';
import { loadPenguinsSplit } from '../scripts/train/penguins-data';
import { seededRandom } from '../scripts/train/seeded-random';
import { startEventBridgeServer } from '../test/lambda/monitoring/support/eventbridge-server';
import { PenguinTraffic } from '../test/lambda/monitoring/support/penguin-traffic';
import { median } from './stats';

const quick = process.argv.includes('--quick');
const REQUESTS = quick ? 2_000 : 10_000;
const ROUNDS = quick ? 2 : 5;
const BATCH = 100;
const MODEL_BUCKET = 'model-bucket';
const CAPTURE_BUCKET = 'capture-bucket';

function progress(line: string): void {
  process.stderr.write(`[drift-job bench] ${line}\n`);
}

async function main(): Promise<void> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'drift-job-bench-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: MODEL_BUCKET }, { name: CAPTURE_BUCKET }],
  });
  const { port } = await server.run();
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    region: 'eu-west-1',
    credentials,
  });
  const events = await startEventBridgeServer();
  const eventBridge = new EventBridgeClient({ endpoint: events.endpoint, region: 'eu-west-1', credentials });
  const traffic = new PenguinTraffic();
  try {
    const { train, heldOut } = loadPenguinsSplit();
    const descriptor = await traffic.putDescriptor(s3, MODEL_BUCKET, train.features);
    const random = seededRandom(12);
    const rows = Array.from({ length: REQUESTS }, (_, index) => {
      const row = heldOut.features[Math.floor(random() * heldOut.features.length)] ?? [];
      return index % 2 === 0 ? row : [row[0], row[1], row[2], (row[3] ?? 0) * 1.3];
    });
    progress(`${REQUESTS} requests through the capturing handler...`);
    await traffic.infer(rows, 'bench');
    const lines = traffic.takeLines();
    const writer = createCaptureWriter({ s3, environment: { [CaptureWriterEnvironment.bucket]: CAPTURE_BUCKET } });
    progress(`${lines.length} capture lines to the writer in batches of ${BATCH}...`);
    for (let first = 0; first < lines.length; first += BATCH) {
      const logEvents = lines
        .slice(first, first + BATCH)
        .map((message, index) => ({ id: String(first + index), timestamp: Date.now(), message }));
      const data = gzipSync(JSON.stringify({ messageType: 'DATA_MESSAGE', logEvents })).toString('base64');
      await writer({ awslogs: { data } });
    }
    const job = createDriftJob({
      s3,
      eventBridge,
      environment: {
        [DriftJobEnvironment.captureBucket]: CAPTURE_BUCKET,
        [DriftJobEnvironment.models]: JSON.stringify([
          {
            model: 'penguins',
            version: '1',
            bucket: MODEL_BUCKET,
            descriptorKey: descriptor.key,
            descriptorSha256: descriptor.sha256,
          },
        ]),
      },
      writeMetric: () => {},
    });
    const times: number[] = [];
    let rowsCompared = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      const [outcome] = await job({ time: new Date(Date.now() + 60_000).toISOString() });
      times.push(performance.now() - started);
      rowsCompared = outcome !== undefined && 'rows' in outcome ? outcome.rows : 0;
      progress(`round ${round + 1}: ${times[round]?.toFixed(0)} ms, ${outcome?.verdict}`);
    }
    const ms = median(times);
    process.stdout.write(
      `drift job, ${rowsCompared} captured penguins rows in ${Math.ceil(REQUESTS / BATCH)} objects: ` +
        `median ${ms.toFixed(0)} ms per run (rounds: ${times.map((t) => t.toFixed(0)).join(', ')} ms), ` +
        `${Math.round(rowsCompared / (ms / 1000))} rows/s; ${events.entries.length} drift events sent\n`,
    );
  } finally {
    await traffic.release();
    s3.destroy();
    eventBridge.destroy();
    await events.close();
    await server.close();
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
