/**
 * What data capture adds to the live path: the same handler, in the same process, with capture at rate 1 (every
 * inference writes its capture record) and off, in alternating rounds so that drift on a shared machine hits both
 * alike. Two times per call: until the answer is handed back (what the caller waits for), and until the deferred
 * record has been built and written as well (the CPU the capture costs, after the answer). The records go to a real
 * file through the same log writer the function uses, so each costs its write system call, as stdout does in Lambda.
 *
 * Part of `npm run bench`; alone: npx tsx bench/capture.ts [--quick]
 */
import './environment';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type ApiGatewayHandler, createApiGatewayHandler } from '../lambda/api-gateway-handler';
import { ModelRegistry } from '../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../lambda/model/model-source';
import { onnxBackends } from '../lambda/model/onnx-backend';
import { loadOnnxModel } from '../lambda/model/onnx-model';
import { captureLogWriter, withCapture } from '../lambda/monitoring/capture-sampling';
import { DEMO_MODEL_FIXTURES } from '../scripts/train/model-files';
import { seededRandom } from '../scripts/train/seeded-random';
import { apiGatewayEvent, lambdaContext } from '../test/support/api-gateway-events';
import { median, type Summary, summarize } from './stats';

interface CaptureCase {
  readonly label: string;
  readonly event: APIGatewayProxyEvent;
}

export interface CaptureBenchResult {
  readonly case: string;
  /** µs until the answer, medians per round. */
  readonly answerOff: Summary;
  readonly answerOn: Summary;
  /** on/off ratio of the answer's median latency, one per round. */
  readonly answerRatio: Summary;
  /** µs until the record was written too, medians per round. */
  readonly totalOff: Summary;
  readonly totalOn: Summary;
  readonly recordBytes: number;
}

function jsonCase(model: string, input: string, rows: number[][]): CaptureCase {
  return {
    label: `${model} batch ${rows.length} JSON`,
    event: apiGatewayEvent({
      method: 'POST',
      path: `/v2/models/${model}/infer`,
      body: { inputs: [{ name: input, shape: [rows.length, rows[0].length], datatype: 'FP32', data: rows }] },
    }),
  };
}

function binaryCase(model: string, input: string, rows: number[][]): CaptureCase {
  const values = new Float32Array(rows.flat());
  const header = Buffer.from(
    JSON.stringify({
      parameters: { binary_data_output: true },
      inputs: [
        {
          name: input,
          shape: [rows.length, rows[0].length],
          datatype: 'FP32',
          parameters: { binary_data_size: values.byteLength },
        },
      ],
    }),
  );
  return {
    label: `${model} batch ${rows.length} binary`,
    event: apiGatewayEvent({
      method: 'POST',
      path: `/v2/models/${model}/infer`,
      body: Buffer.concat([header, Buffer.from(values.buffer)]),
      base64: true,
      headers: {
        Accept: 'application/octet-stream',
        'Content-Type': 'application/octet-stream',
        'Inference-Header-Content-Length': String(header.byteLength),
      },
    }),
  };
}

interface RoundTimes {
  readonly answer: number;
  readonly total: number;
}

async function timeRound(handler: ApiGatewayHandler, event: APIGatewayProxyEvent, calls: number): Promise<RoundTimes> {
  const answer: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    const result = await handler(event, lambdaContext);
    answer.push((performance.now() - started) * 1000);
    // The record is built in a setImmediate callback queued before this one.
    await new Promise((resolve) => setImmediate(resolve));
    total.push((performance.now() - started) * 1000);
    if (result.statusCode !== 200) throw new Error(`the benchmark request failed: ${result.statusCode} ${result.body}`);
  }
  return { answer: median(answer), total: median(total) };
}

/** Runs every case: `rounds` alternating rounds of `calls` calls per mode. */
export async function measureCapture(
  { rounds, calls }: { readonly rounds: number; readonly calls: number },
  progress: (line: string) => void = () => undefined,
): Promise<CaptureBenchResult[]> {
  const random = seededRandom(12);
  const penguin = () => [32 + random() * 28, 13 + random() * 9, 172 + random() * 59, 2700 + random() * 3600];
  const digit = () => Array.from({ length: 784 }, () => (random() < 0.8 ? 0 : Math.round(random() * 255) / 255));
  const cases = [
    jsonCase('penguins', 'features', [penguin()]),
    jsonCase('penguins', 'features', Array.from({ length: 32 }, penguin)),
    binaryCase('penguins', 'features', Array.from({ length: 32 }, penguin)),
    jsonCase('mnist', 'pixels', [digit()]),
    binaryCase('mnist', 'pixels', Array.from({ length: 8 }, digit)),
  ];

  const registry = new ModelRegistry(onnxBackends(modelSourcesFromFolder(DEMO_MODEL_FIXTURES), loadOnnxModel));
  await registry.loadAll();
  const off = createApiGatewayHandler(registry);
  const sink = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'capture-bench-')), 'captures.log');
  const fd = fs.openSync(sink, 'w');
  let writtenBytes = 0;
  const on = withCapture(
    off,
    { sampleRate: 1, dropFields: [], hashFields: [], hashSalt: '' },
    {
      write: captureLogWriter((line) => {
        writtenBytes += fs.writeSync(fd, `${line}\n`);
      }),
      servedVersion: () => '1',
    },
  );
  const results: CaptureBenchResult[] = [];
  try {
    for (const { label, event } of cases) {
      progress(`capture: ${label}`);
      for (const handler of [off, on]) await timeRound(handler, event, Math.min(calls, 50)); // warm-up
      const offRounds: RoundTimes[] = [];
      const onRounds: RoundTimes[] = [];
      for (let round = 0; round < rounds; round++) {
        // Alternate which mode goes first, so neither always runs on a warmer or colder machine.
        const first = round % 2 === 0;
        const a = await timeRound(first ? off : on, event, calls);
        const b = await timeRound(first ? on : off, event, calls);
        offRounds.push(first ? a : b);
        onRounds.push(first ? b : a);
      }
      const before = writtenBytes;
      await on(event, lambdaContext);
      await new Promise((resolve) => setImmediate(resolve));
      results.push({
        case: label,
        answerOff: summarize(offRounds.map((times) => times.answer)),
        answerOn: summarize(onRounds.map((times) => times.answer)),
        answerRatio: summarize(onRounds.map((times, round) => times.answer / offRounds[round].answer)),
        totalOff: summarize(offRounds.map((times) => times.total)),
        totalOn: summarize(onRounds.map((times) => times.total)),
        recordBytes: writtenBytes - before,
      });
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(path.dirname(sink), { recursive: true, force: true });
    await registry.release();
  }
  return results;
}

/** Rounds and calls per round: the full run, or `--quick` (a smoke check: a few seconds). */
export function captureBenchSize(quick: boolean): { rounds: number; calls: number } {
  return quick ? { rounds: 4, calls: 30 } : { rounds: 20, calls: 200 };
}

function ratioCell(ratio: Summary): string {
  return `${ratio.median.toFixed(3)} (${ratio.p25.toFixed(3)}-${ratio.p75.toFixed(3)})`;
}

async function main(): Promise<void> {
  const size = captureBenchSize(process.argv.includes('--quick'));
  const results = await measureCapture(size, (line) => process.stderr.write(`${line}\n`));
  console.log(
    `data capture, rate 1.0 vs off: ${size.rounds} alternating rounds of ${size.calls} calls, node ${process.version}`,
  );
  console.log(
    '| case | answer µs, off | answer µs, on | answer on/off, median (p25-p75) | with the record written µs, off / on | added after the answer µs | record bytes |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.case} | ${r.answerOff.median.toFixed(1)} | ${r.answerOn.median.toFixed(1)} | ${ratioCell(r.answerRatio)} | ` +
        `${r.totalOff.median.toFixed(1)} / ${r.totalOn.median.toFixed(1)} | ` +
        `${(r.totalOn.median - r.totalOff.median).toFixed(1)} | ${r.recordBytes} |`,
    );
  }
}

if (require.main === module) void main().then(() => process.exit());
