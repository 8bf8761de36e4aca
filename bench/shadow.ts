/**
 * What shadow sampling adds to the live path: the same handler, in the same process, with the shadow sample rate
 * at 1.0 (every inference writes its sample line) and off, in alternating rounds so that drift on a shared machine
 * hits both alike. Two times per call: until the answer is handed back (what the caller waits for: Lambda posts it
 * then), and until the deferred sample line has been written as well (the CPU the sample costs, after the answer).
 * Reports per case the medians of each mode, the on/off ratios (median over rounds, with quartiles) and the added
 * microseconds. Run: npx tsx bench/shadow.ts [rounds] [calls per round]
 */
import './environment';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ShadowEnvironment } from '../contract/environment';
import { type ApiGatewayHandler, createApiGatewayHandler } from '../lambda/api-gateway-handler';
import { ModelRegistry } from '../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../lambda/model/model-source';
import { onnxBackends } from '../lambda/model/onnx-backend';
import { loadOnnxModel } from '../lambda/model/onnx-model';
import { withShadowSampling } from '../lambda/shadow/shadow-sampling';
import { DEMO_MODEL_FIXTURES } from '../scripts/train/model-files';
import { seededRandom } from '../scripts/train/seeded-random';
import { apiGatewayEvent, lambdaContext } from '../test/support/api-gateway-events';
import { median, quantile } from './stats';

interface ShadowCase {
  readonly label: string;
  readonly event: APIGatewayProxyEvent;
}

function jsonCase(model: string, input: string, rows: number[][]): ShadowCase {
  return {
    label: `${model} batch ${rows.length} JSON`,
    event: apiGatewayEvent({
      method: 'POST',
      path: `/v2/models/${model}/infer`,
      body: { inputs: [{ name: input, shape: [rows.length, rows[0].length], datatype: 'FP32', data: rows }] },
    }),
  };
}

function binaryCase(model: string, input: string, rows: number[][]): ShadowCase {
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
  /** Median µs until the handler's promise settled: the answer's latency. */
  readonly answer: number;
  /** Median µs until the next turn of the event loop, when a deferred sample line has been written too. */
  readonly total: number;
}

async function timeRound(handler: ApiGatewayHandler, event: APIGatewayProxyEvent, calls: number): Promise<RoundTimes> {
  const answer: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    const result = await handler(event, lambdaContext);
    answer.push((performance.now() - started) * 1000);
    await new Promise((resolve) => setImmediate(resolve));
    total.push((performance.now() - started) * 1000);
    if (result.statusCode !== 200) throw new Error(`the benchmark request failed: ${result.statusCode} ${result.body}`);
  }
  return { answer: median(answer), total: median(total) };
}

function ratioCell(ratios: readonly number[]): string {
  return `${median(ratios).toFixed(3)} (${quantile(ratios, 0.25).toFixed(3)}-${quantile(ratios, 0.75).toFixed(3)})`;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 20);
  const calls = Number(process.argv[3] ?? 200);
  const random = seededRandom(11);
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
  // A real file takes the lines, so every sample costs its write system call and copy, as stdout does in Lambda.
  const sink = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'shadow-bench-')), 'samples.log');
  const fd = fs.openSync(sink, 'w');
  let sampledBytes = 0;
  const on = withShadowSampling(
    off,
    { [ShadowEnvironment.sampleRate]: '1' },
    {
      write: (line) => {
        sampledBytes += fs.writeSync(fd, `${line}\n`);
      },
    },
  );
  try {
    console.log(
      `shadow sampling, rate 1.0 vs off: ${rounds} alternating rounds of ${calls} calls, node ${process.version}`,
    );
    console.log(
      '| case | answer µs, off | answer µs, on | answer on/off, median (p25-p75) | with the sample written µs, off / on | added after the answer µs | sample line bytes |',
    );
    console.log('|---|---|---|---|---|---|---|');
    for (const { label, event } of cases) {
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
      const before = sampledBytes;
      await on(event, lambdaContext);
      await new Promise((resolve) => setImmediate(resolve));
      const answerRatios = onRounds.map((times, round) => times.answer / offRounds[round].answer);
      const offAnswer = median(offRounds.map((times) => times.answer));
      const onAnswer = median(onRounds.map((times) => times.answer));
      const offTotal = median(offRounds.map((times) => times.total));
      const onTotal = median(onRounds.map((times) => times.total));
      console.log(
        `| ${label} | ${offAnswer.toFixed(1)} | ${onAnswer.toFixed(1)} | ${ratioCell(answerRatios)} | ` +
          `${offTotal.toFixed(1)} / ${onTotal.toFixed(1)} | ${(onTotal - offTotal).toFixed(1)} | ${sampledBytes - before} |`,
      );
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(path.dirname(sink), { recursive: true, force: true });
    await registry.release();
  }
}

void main();
