/**
 * What a wrapper that defers its work past the answer (shadow sampling, data capture) adds to the live path: the
 * same handler, in the same process, with the wrapper on (every inference does its work) and off, in alternating
 * rounds so that drift on a shared machine hits both alike. Two times per call: until the answer is handed back
 * (what the caller waits for: Lambda posts it then), and until the deferred line has been written as well (the CPU
 * the work costs, after the answer). The lines go to a real file, so each costs its write system call, as stdout
 * does in Lambda.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type ApiGatewayHandler, createApiGatewayHandler } from '../lambda/api-gateway-handler';
import { ModelRegistry } from '../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../lambda/model/model-source';
import { onnxBackends } from '../lambda/model/onnx-backend';
import { loadOnnxModel } from '../lambda/model/onnx-model';
import { DEMO_MODEL_FIXTURES } from '../scripts/train/model-files';
import { seededRandom } from '../scripts/train/seeded-random';
import { apiGatewayEvent, lambdaContext } from '../test/support/api-gateway-events';
import { median, type Summary, summarize } from './stats';

export interface DeferredWorkResult {
  readonly case: string;
  /** µs until the answer, medians per round. */
  readonly answerOff: Summary;
  readonly answerOn: Summary;
  /** on/off ratio of the answer's median latency, one per round. */
  readonly answerRatio: Summary;
  /** µs until the deferred line was written too, medians per round. */
  readonly totalOff: Summary;
  readonly totalOn: Summary;
  /** Bytes one call's deferred line takes. */
  readonly lineBytes: number;
}

/** Wraps the plain handler so that it writes each deferred line with `write`. */
export type DeferredWrapper = (off: ApiGatewayHandler, write: (line: string) => void) => ApiGatewayHandler;

/** Rounds and calls per round: the full run, or `--quick` (a smoke check: a few seconds). */
export function deferredWorkBenchSize(quick: boolean): { rounds: number; calls: number } {
  return quick ? { rounds: 4, calls: 30 } : { rounds: 20, calls: 200 };
}

/** Runs every case: `rounds` alternating rounds of `calls` calls per mode. */
export async function measureDeferredWork(
  name: string,
  wrap: DeferredWrapper,
  { rounds, calls, seed }: { readonly rounds: number; readonly calls: number; readonly seed: number },
  progress: (line: string) => void = () => undefined,
): Promise<DeferredWorkResult[]> {
  const registry = new ModelRegistry(onnxBackends(modelSourcesFromFolder(DEMO_MODEL_FIXTURES), loadOnnxModel));
  await registry.loadAll();
  const off = createApiGatewayHandler(registry);
  const sink = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `${name}-bench-`)), 'lines.log');
  const fd = fs.openSync(sink, 'w');
  let writtenBytes = 0;
  const on = wrap(off, (line) => {
    writtenBytes += fs.writeSync(fd, `${line}\n`);
  });
  const results: DeferredWorkResult[] = [];
  try {
    for (const { label, event } of liveCases(seed)) {
      progress(`${name}: ${label}`);
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
        lineBytes: writtenBytes - before,
      });
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(path.dirname(sink), { recursive: true, force: true });
    await registry.release();
  }
  return results;
}

/** The results as a Markdown table; `line` names what the wrapper writes ("sample line", "record"). */
export function deferredWorkTable(results: readonly DeferredWorkResult[], line: string): string[] {
  const ratio = (r: Summary) => `${r.median.toFixed(3)} (${r.p25.toFixed(3)}-${r.p75.toFixed(3)})`;
  return [
    `| case | answer µs, off | answer µs, on | answer on/off, median (p25-p75) | with the ${line} written µs, off / on | added after the answer µs | ${line} bytes |`,
    '|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.case} | ${r.answerOff.median.toFixed(1)} | ${r.answerOn.median.toFixed(1)} | ${ratio(r.answerRatio)} | ` +
        `${r.totalOff.median.toFixed(1)} / ${r.totalOn.median.toFixed(1)} | ` +
        `${(r.totalOn.median - r.totalOff.median).toFixed(1)} | ${r.lineBytes} |`,
    ),
  ];
}

interface LiveCase {
  readonly label: string;
  readonly event: APIGatewayProxyEvent;
}

/** Small and larger inferences of both demo models, JSON and binary, with seeded random inputs. */
function liveCases(seed: number): LiveCase[] {
  const random = seededRandom(seed);
  const penguin = () => [32 + random() * 28, 13 + random() * 9, 172 + random() * 59, 2700 + random() * 3600];
  const digit = () => Array.from({ length: 784 }, () => (random() < 0.8 ? 0 : Math.round(random() * 255) / 255));
  return [
    jsonCase('penguins', 'features', [penguin()]),
    jsonCase('penguins', 'features', Array.from({ length: 32 }, penguin)),
    binaryCase('penguins', 'features', Array.from({ length: 32 }, penguin)),
    jsonCase('mnist', 'pixels', [digit()]),
    binaryCase('mnist', 'pixels', Array.from({ length: 8 }, digit)),
  ];
}

function jsonCase(model: string, input: string, rows: number[][]): LiveCase {
  return {
    label: `${model} batch ${rows.length} JSON`,
    event: apiGatewayEvent({
      method: 'POST',
      path: `/v2/models/${model}/infer`,
      body: { inputs: [{ name: input, shape: [rows.length, rows[0].length], datatype: 'FP32', data: rows }] },
    }),
  };
}

function binaryCase(model: string, input: string, rows: number[][]): LiveCase {
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
  /** Median µs until the next turn of the event loop, when a deferred line has been written too. */
  readonly total: number;
}

async function timeRound(handler: ApiGatewayHandler, event: APIGatewayProxyEvent, calls: number): Promise<RoundTimes> {
  const answer: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    const result = await handler(event, lambdaContext);
    answer.push((performance.now() - started) * 1000);
    // The deferred work runs in a setImmediate callback queued before this one.
    await new Promise((resolve) => setImmediate(resolve));
    total.push((performance.now() - started) * 1000);
    if (result.statusCode !== 200) throw new Error(`the benchmark request failed: ${result.statusCode} ${result.body}`);
  }
  return { answer: median(answer), total: median(total) };
}
