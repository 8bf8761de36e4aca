/**
 * What shadow sampling adds to the live path: the same handler, in the same process, with the shadow sample rate
 * at 1.0 (every inference writes its sample line) and off, in alternating rounds so that drift on a shared machine
 * hits both alike. Reports per case the median call time of each mode, the on/off ratio (median over rounds, with
 * its quartiles) and the added microseconds. Run: npx tsx bench/shadow.ts [rounds] [calls per round]
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

async function timeRound(handler: ApiGatewayHandler, event: APIGatewayProxyEvent, calls: number): Promise<number> {
  const micros: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    const result = await handler(event, lambdaContext);
    micros.push((performance.now() - started) * 1000);
    if (result.statusCode !== 200) throw new Error(`the benchmark request failed: ${result.statusCode} ${result.body}`);
  }
  return median(micros);
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
      '| case | off median µs | on median µs | added µs | on/off ratio, median (p25-p75) over rounds | sample line bytes |',
    );
    console.log('|---|---|---|---|---|---|');
    for (const { label, event } of cases) {
      for (const handler of [off, on]) await timeRound(handler, event, Math.min(calls, 50)); // warm-up
      const offRounds: number[] = [];
      const onRounds: number[] = [];
      const ratios: number[] = [];
      for (let round = 0; round < rounds; round++) {
        // Alternate which mode goes first, so neither always runs on a warmer or colder machine.
        const first = round % 2 === 0;
        const a = await timeRound(first ? off : on, event, calls);
        const b = await timeRound(first ? on : off, event, calls);
        const [offMicros, onMicros] = first ? [a, b] : [b, a];
        offRounds.push(offMicros);
        onRounds.push(onMicros);
        ratios.push(onMicros / offMicros);
      }
      const before = sampledBytes;
      await on(event, lambdaContext);
      const offMedian = median(offRounds);
      const onMedian = median(onRounds);
      console.log(
        `| ${label} | ${offMedian.toFixed(1)} | ${onMedian.toFixed(1)} | ${(onMedian - offMedian).toFixed(1)} | ` +
          `${median(ratios).toFixed(3)} (${quantile(ratios, 0.25).toFixed(3)}-${quantile(ratios, 0.75).toFixed(3)}) | ${sampledBytes - before} |`,
      );
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(path.dirname(sink), { recursive: true, force: true });
    await registry.release();
  }
}

void main();
