import * as fs from 'node:fs';
import * as path from 'node:path';
import { apiGatewayEvent } from '../test/support/api-gateway-events';
import { type BenchCase, BUILD_DIR, COLD_MODELS } from './cases';
import { spawnTracked, stopChild } from './children';
import { LAMBDA_VARIABLES, startS3ModelBucket } from './s3-model-bucket';
import { type Summary, summarize } from './stats';

/** One process serving the same request over and over, its resident set sampled as it goes. */
export interface MemoryRun {
  /**
   * Peak resident set (MB), from the kernel's high-water mark of the process's own memory (VmHWM), so no spike
   * between samples is missed. Not ru_maxrss: Linux carries it over fork and exec, so every child reported the
   * spawning bench process's resident set whenever that was the larger (both kinds then read the same, e.g. 159 MB).
   */
  readonly peakMb: number;
  /** Resident set (MB) after each slice of requests. */
  readonly samplesMb: number[];
  /** Least-squares slope of the resident set over the second half of the run, MB per 1,000 requests. */
  readonly growthMbPer1000: number;
}

export type MemoryKind = 'lambda' | 'floor';

export interface MemoryResult {
  readonly requests: number;
  readonly runs: Record<MemoryKind, MemoryRun[]>;
  readonly peak: Record<MemoryKind, Summary>;
  readonly growth: Record<MemoryKind, Summary>;
  /** Per round: the Lambda configuration's peak over the floor's. */
  readonly peakRatio: Summary;
}

const SAMPLES = 50;

// Both probes: `serve` n times, sampling RSS SAMPLES times, then report on fd 3. Plain JavaScript on plain node.
const REPORT_JS = `const fs = require('node:fs');
async function measure(requests, serve) {
  const samples = [];
  const every = Math.max(1, Math.floor(requests / ${SAMPLES}));
  for (let done = 1; done <= requests; done++) {
    await serve();
    if (done % every === 0) samples.push(process.memoryUsage.rss() / 2 ** 20);
  }
  const peakMb = highWaterMb();
  fs.writeSync(3, JSON.stringify({ peakMb, samples, every }) + '\\n');
}
function highWaterMb() {
  try {
    const match = /VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (match !== null) return Number(match[1]) / 1024;
  } catch {}
  // Elsewhere than Linux: the OS's own maximum, which may include the parent's before exec.
  return process.resourceUsage().maxRSS / 1024;
}`;

// The Lambda configuration as Lambda runs it: the bundle's import is init (model from S3 on loopback), then the
// handler serves the same API Gateway event again and again, as one execution environment serves its requests.
const LAMBDA_PROBE = `import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';
${REPORT_JS.replace("const fs = require('node:fs');\n", '')}
const [bundle, eventsPath, requests] = process.argv.slice(1);
const { handler } = await import(pathToFileURL(bundle).href);
const event = JSON.parse(fs.readFileSync(eventsPath, 'utf8')).infer;
const context = { awsRequestId: 'memory', functionName: 'memory', functionVersion: '1', memoryLimitInMB: '2048',
  invokedFunctionArn: 'arn:aws:lambda:local:0:function:memory', getRemainingTimeInMillis: () => 20000 };
await measure(Number(requests), async () => {
  const answer = await handler(event, context);
  if (answer.statusCode !== 200) throw new Error('infer answered ' + answer.statusCode + ' ' + answer.body);
});`;

// The floor: node, ONNX Runtime and one session on the same model file, running the same batch.
const FLOOR_PROBE = `${REPORT_JS}
const ort = require('onnxruntime-node');
const [modelPath, input, batch, features, requests] = process.argv.slice(1);
(async () => {
  const session = await ort.InferenceSession.create(fs.readFileSync(modelPath), { graphOptimizationLevel: 'all' });
  const shape = [Number(batch), Number(features)];
  await measure(Number(requests), () =>
    session.run({ [input]: new ort.Tensor('float32', new Float32Array(shape[0] * shape[1]), shape) }),
  );
})();`;

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const meanX = xs.reduce((sum, x) => sum + x, 0) / n;
  const meanY = ys.reduce((sum, y) => sum + y, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    covariance += (xs[i] - meanX) * (ys[i] - meanY);
    variance += (xs[i] - meanX) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}

function run(args: string[], environment: Record<string, string>): Promise<MemoryRun> {
  const child = spawnTracked(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'true', ...environment },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-3000);
  });
  return new Promise<MemoryRun>((resolve, reject) => {
    let report = '';
    const timer = setTimeout(() => {
      void stopChild(child);
      reject(new Error(`memory probe timed out after 10 minutes\n${stderr}`));
    }, 600_000);
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      report += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!report.endsWith('\n')) return reject(new Error(`memory probe exited with ${code}\n${stderr}`));
      const { peakMb, samples, every } = JSON.parse(report) as { peakMb: number; samples: number[]; every: number };
      const half = Math.floor(samples.length / 2);
      const tail = samples.slice(half);
      const requestsDone = tail.map((_, index) => ((half + index + 1) * every) / 1000);
      resolve({ peakMb, samplesMb: samples, growthMbPer1000: slope(requestsDone, tail) });
    });
  });
}

/**
 * Peak resident set and its growth for the Lambda configuration serving one case `requests` times (the bundle, its
 * model from an S3-compatible server on loopback, the environment Lambda sets), against the floor (node + ONNX
 * Runtime + one session on the same file running the same batch), alternating within each round.
 */
export async function measureMemory(
  bundlePath: string,
  benchCase: BenchCase,
  requests: number,
  rounds: number,
  progress: (line: string) => void,
): Promise<MemoryResult> {
  const eventsPath = path.join(BUILD_DIR, 'memory-events.json');
  fs.writeFileSync(
    eventsPath,
    JSON.stringify({ infer: apiGatewayEvent({ method: 'POST', path: benchCase.path, body: benchCase.body }) }),
  );
  const modelPath = path.join(COLD_MODELS, benchCase.model, '1', 'model.onnx');
  const bucket = await startS3ModelBucket(benchCase.model, modelPath);
  const runs: Record<MemoryKind, MemoryRun[]> = { lambda: [], floor: [] };
  try {
    for (let round = 0; round < rounds; round++) {
      runs.floor.push(
        await run(
          [
            '-e',
            FLOOR_PROBE,
            modelPath,
            benchCase.input,
            String(benchCase.batch),
            String(benchCase.features),
            String(requests),
          ],
          {},
        ),
      );
      runs.lambda.push(
        await run(['--input-type=module', '-e', LAMBDA_PROBE, bundlePath, eventsPath, String(requests)], {
          ...bucket.environment,
          ...LAMBDA_VARIABLES,
        }),
      );
      progress(`memory round ${round + 1}/${rounds} done`);
    }
  } finally {
    await bucket.close();
  }
  const of = (kind: MemoryKind, key: 'peakMb' | 'growthMbPer1000') => summarize(runs[kind].map((one) => one[key]));
  return {
    requests,
    runs,
    peak: { lambda: of('lambda', 'peakMb'), floor: of('floor', 'peakMb') },
    growth: { lambda: of('lambda', 'growthMbPer1000'), floor: of('floor', 'growthMbPer1000') },
    peakRatio: summarize(runs.lambda.map((one, index) => one.peakMb / runs.floor[index].peakMb)),
  };
}
