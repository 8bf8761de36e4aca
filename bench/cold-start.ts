import * as fs from 'node:fs';
import { request } from 'node:http';
import * as path from 'node:path';
import { apiGatewayEvent } from '../test/support/api-gateway-events';
import { type BenchCase, BUILD_DIR, COLD_MODELS } from './cases';
import { REPO_ROOT, spawnTracked, stopChild } from './children';
import { LAMBDA_VARIABLES, startS3ModelBucket } from './s3-model-bucket';
import { type Summary, summarize } from './stats';

/** Milliseconds spent in each phase from spawn to first successful answer. */
export interface ColdStartRun {
  readonly nodeStart: number;
  readonly runtimeImport: number;
  /**
   * Importing the handler's modules. For the Lambda handler this is its init phase as Lambda measures it (the
   * import of the ES module resolves once the top-level await has loaded the model), so modelLoad is 0 there.
   */
  readonly handlerImport: number;
  readonly modelLoad: number;
  /** The first request after start (after init for the Lambda handler): what the first caller waits beyond init. */
  readonly firstRun: number;
  /** Spawn to first answer. */
  readonly total: number;
}

export type ColdStartKind = 'twin' | 'lambda' | 'baseline' | 'floorFetch';

export interface ColdStartResult {
  readonly runs: Record<ColdStartKind, ColdStartRun[]>;
  readonly phases: Record<ColdStartKind, Record<keyof ColdStartRun, Summary>>;
  /** The baseline: node start + ONNX Runtime import + session creation, without the first run. */
  readonly baseline: Summary;
  /** Per round: twin spawn-to-answer over that round's baseline, and the same for the Lambda handler module. */
  readonly twinRatio: Summary;
  readonly lambdaRatio: Summary;
  /** Per round: the Lambda handler's spawn to end of init (model loaded) over that round's baseline. */
  readonly lambdaInitRatio: Summary;
  /** Per round: the Lambda handler's first request over the baseline's first session.run. */
  readonly lambdaFirstRequestRatio: Summary;
  /**
   * What the Lambda configuration cannot avoid beyond the baseline: the baseline plus the signed GETs of the pinned
   * descriptor and model from the same S3-compatible server, each checked against its sha256, without the first run.
   */
  readonly floorFetch: Summary;
  /** Per round: floor + fetch over the baseline, the part of the target the download alone takes. */
  readonly floorFetchRatio: Summary;
  /** Per round: the Lambda handler's spawn to first answer over floor + fetch, what the handler adds to that. */
  readonly lambdaFloorFetchRatio: Summary;
}

const MARKS = ['main', 'runtime imported', 'handler imported', 'model loaded', 'answered'] as const;
type Mark = (typeof MARKS)[number];

const now = () => performance.timeOrigin + performance.now();

// Plain JavaScript run with `node -e`, as Lambda runs the bundle: no TypeScript loader in the way.
const MARK_JS = `const fs = require('node:fs');
const mark = (name) => fs.writeSync(3, JSON.stringify({ mark: name, at: performance.timeOrigin + performance.now() }) + '\\n');
mark('main');`;

// The local twin as `npm start` runs it: the esbuild bundle of scripts/start-local-server.js (built before the
// measured rounds, as a second `npm start` finds it), on plain node.
const TWIN_PROBE = `${MARK_JS}
require('onnxruntime-node');
mark('runtime imported');
const twin = require(require(process.argv[1]).buildLocalServer());
mark('handler imported');
twin.startLocalServer({ port: 0, host: '127.0.0.1', modelsDir: process.argv[2] }).then(({ server }) => {
  fs.writeSync(3, JSON.stringify({ mark: 'model loaded', at: performance.timeOrigin + performance.now(), port: server.address().port }) + '\\n');
});`;

// An ES module, run as Lambda runs the handler: init is the bundle's import, which resolves only after the
// handler's top-level await has loaded the model; then one inference request, as the first caller sends it.
// It also runs a CommonJS bundle (an older build) the same way, so that before and after can be compared.
const LAMBDA_PROBE = `import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';
const mark = (name) => fs.writeSync(3, JSON.stringify({ mark: name, at: performance.timeOrigin + performance.now() }) + '\\n');
mark('main');
// ONNX Runtime is not imported first here, as it is for the others: Lambda imports only the handler, which imports
// the runtime itself while the model downloads. Its import is part of init (handler import) for this kind.
mark('runtime imported');
const { handler } = await import(pathToFileURL(process.argv[1]).href);
mark('handler imported');
mark('model loaded');
const events = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const context = { awsRequestId: 'cold-start', functionName: 'cold-start', functionVersion: '1', memoryLimitInMB: '2048',
  invokedFunctionArn: 'arn:aws:lambda:local:0:function:cold-start', getRemainingTimeInMillis: () => 20000 };
// The runtime sets the invocation's trace header, as Lambda does with active tracing: the request is traced.
process.env._X_AMZN_TRACE_ID = 'Root=1-65f0c0de-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1';
const answer = await handler(events.infer, context);
if (answer.statusCode !== 200) throw new Error('infer answered ' + answer.statusCode + ' ' + answer.body);
mark('answered');`;

const BASELINE_PROBE = `${MARK_JS}
const ort = require('onnxruntime-node');
mark('runtime imported');
const [modelPath, input, features] = process.argv.slice(1);
(async () => {
  const session = await ort.InferenceSession.create(fs.readFileSync(modelPath), { graphOptimizationLevel: 'all' });
  mark('model loaded');
  await session.run({ [input]: new ort.Tensor('float32', new Float32Array(Number(features)), [1, Number(features)]) });
  mark('answered');
})();`;

// The least code that does what the Lambda configuration must do before its session exists: both pinned objects
// fetched with SigV4-signed GETs over node:http (loopback here, HTTPS in AWS) while ONNX Runtime loads, each refused
// unless its sha256 is the pinned one, then the session. No retries, messages or logs: this is the floor plus the
// download, not a runtime.
const FLOOR_FETCH_PROBE = `${MARK_JS}
const { createHash, createHmac } = require('node:crypto');
const http = require('node:http');
const env = process.env;
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const hmac = (key, text) => createHmac('sha256', key).update(text).digest();
const EMPTY = sha256('');
function get(key, pinned) {
  const url = new URL(env.AWS_ENDPOINT_URL_S3 + '/' + env.MODEL_BUCKET + '/' + key);
  const date = new Date().toISOString().replace(/[:-]|\\.\\d{3}/g, '');
  const scope = date.slice(0, 8) + '/' + env.AWS_REGION + '/s3/aws4_request';
  const signed = 'host;x-amz-content-sha256;x-amz-date';
  const canonical = ['GET', url.pathname, '', 'host:' + url.host, 'x-amz-content-sha256:' + EMPTY, 'x-amz-date:' + date, '', signed, EMPTY].join('\\n');
  const signingKey = hmac(hmac(hmac(hmac('AWS4' + env.AWS_SECRET_ACCESS_KEY, date.slice(0, 8)), env.AWS_REGION), 's3'), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(['AWS4-HMAC-SHA256', date, scope, sha256(canonical)].join('\\n')).digest('hex');
  const headers = { 'x-amz-content-sha256': EMPTY, 'x-amz-date': date,
    authorization: 'AWS4-HMAC-SHA256 Credential=' + env.AWS_ACCESS_KEY_ID + '/' + scope + ', SignedHeaders=' + signed + ', Signature=' + signature };
  return new Promise((resolve, reject) => http.get(url, { headers }, (response) => {
    const chunks = [];
    response.on('data', (chunk) => chunks.push(chunk));
    response.once('end', () => {
      const body = Buffer.concat(chunks);
      if (response.statusCode !== 200 || sha256(body) !== pinned) reject(new Error(key + ' answered ' + response.statusCode));
      else resolve(body);
    });
  }).once('error', reject));
}
const fetched = Promise.all([get(env.MODEL_KEY, env.MODEL_SHA256), get(env.MODEL_DESCRIPTOR_KEY, env.MODEL_DESCRIPTOR_SHA256)]);
const ort = require('onnxruntime-node');
mark('runtime imported');
const [input, features] = process.argv.slice(1);
(async () => {
  const [model] = await fetched;
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all' });
  mark('model loaded');
  await session.run({ [input]: new ort.Tensor('float32', new Float32Array(Number(features)), [1, Number(features)]) });
  mark('answered');
})();`;

function post(url: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => {
      response.resume();
      response.once('end', () =>
        response.statusCode === 200 ? resolve() : reject(new Error(`cold twin answered ${response.statusCode}`)),
      );
    });
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

/**
 * Spawns one probe and collects its marks from fd 3 (stdout carries the runtime's own logs, dropped). For the twin,
 * the first answer is a real HTTP request from here, sent as soon as the probe says it listens.
 */
function probe(
  kind: ColdStartKind,
  args: string[],
  benchCase: BenchCase,
  environment: Record<string, string>,
): Promise<ColdStartRun> {
  const spawnedAt = now();
  const child = spawnTracked(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, MODELS_DIR: COLD_MODELS, POWERTOOLS_LOG_LEVEL: 'WARN', ...environment },
  });
  const marks = new Map<Mark, number>();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-3000);
  });
  return new Promise<ColdStartRun>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error('timed out after 60 s')), 60_000);
    let finished = false;
    const finish = (error?: Error) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      void stopChild(child);
      if (error !== undefined) return reject(new Error(`${kind} cold start failed: ${error.message}\n${stderr}`));
      const at = (name: Mark) => marks.get(name) ?? Number.NaN;
      const loadedFrom = marks.has('handler imported') ? at('handler imported') : at('runtime imported');
      resolve({
        nodeStart: at('main') - spawnedAt,
        runtimeImport: at('runtime imported') - at('main'),
        handlerImport: marks.has('handler imported') ? at('handler imported') - at('runtime imported') : 0,
        modelLoad: at('model loaded') - loadedFrom,
        firstRun: at('answered') - at('model loaded'),
        total: at('answered') - spawnedAt,
      });
    };
    child.once('exit', (code) => {
      if (!marks.has('answered')) finish(new Error(`exited with ${code}`));
    });
    let pending = '';
    const channel = child.stdio[3];
    if (channel === null || channel === undefined || !('on' in channel)) return finish(new Error('no fd 3'));
    channel.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const { mark, at, port } = JSON.parse(line) as { mark: Mark; at: number; port?: number };
        marks.set(mark, at);
        if (mark === 'answered') finish();
        if (mark === 'model loaded' && kind === 'twin') {
          post(`http://127.0.0.1:${port}${benchCase.path}`, benchCase.body).then(() => {
            marks.set('answered', now());
            finish();
          }, finish);
        }
      }
    });
  });
}

/**
 * Fresh processes to first successful answer, for the local twin (its bundle on plain node, as `npm start` runs it), the Lambda
 * handler module (the esbuild bundle, plain node, as Lambda runs it, in the Lambda configuration: the environment the
 * stack sets and Lambda adds, the pinned model and descriptor read from an S3-compatible server on loopback, a traced
 * first request) and the baseline of node + ONNX Runtime + one session on the same model file. Kinds alternate within
 * each round so that machine noise hits all three alike.
 */
export async function measureColdStarts(
  bundlePath: string,
  benchCase: BenchCase,
  runs: number,
  progress: (line: string) => void,
): Promise<ColdStartResult> {
  const eventsPath = path.join(BUILD_DIR, 'cold-start-events.json');
  fs.writeFileSync(
    eventsPath,
    JSON.stringify({
      infer: apiGatewayEvent({ method: 'POST', path: benchCase.path, body: benchCase.body }),
    }),
  );
  const modelPath = path.join(COLD_MODELS, benchCase.model, '1', 'model.onnx');
  const argsOf: Record<ColdStartKind, string[]> = {
    twin: ['-e', TWIN_PROBE, path.join(REPO_ROOT, 'scripts', 'start-local-server.js'), COLD_MODELS],
    lambda: ['--input-type=module', '-e', LAMBDA_PROBE, bundlePath, eventsPath],
    baseline: ['-e', BASELINE_PROBE, modelPath, benchCase.input, String(benchCase.features)],
    floorFetch: ['-e', FLOOR_FETCH_PROBE, benchCase.input, String(benchCase.features)],
  };
  const bucket = await startS3ModelBucket(benchCase.model, modelPath);
  const environmentOf: Record<ColdStartKind, Record<string, string>> = {
    twin: {},
    baseline: {},
    floorFetch: bucket.environment,
    lambda: { ...bucket.environment, ...LAMBDA_VARIABLES },
  };
  const kinds: ColdStartKind[] = ['baseline', 'floorFetch', 'twin', 'lambda'];
  const all: Record<ColdStartKind, ColdStartRun[]> = { twin: [], lambda: [], baseline: [], floorFetch: [] };
  try {
    // One unmeasured round first: the OS page cache and the twin's bundle should be warm, as on a laptop that
    // has started the twin before; Lambda's own cold start (code download) is not something a laptop can show.
    for (const kind of kinds) await probe(kind, argsOf[kind], benchCase, environmentOf[kind]);
    for (let round = 0; round < runs; round++) {
      for (const kind of kinds) all[kind].push(await probe(kind, argsOf[kind], benchCase, environmentOf[kind]));
      progress(`cold start round ${round + 1}/${runs} done`);
    }
  } finally {
    await bucket.close();
  }
  const phaseSummaries = (list: ColdStartRun[]) =>
    Object.fromEntries(
      (Object.keys(list[0]) as (keyof ColdStartRun)[]).map((key) => [key, summarize(list.map((run) => run[key]))]),
    ) as Record<keyof ColdStartRun, Summary>;
  const baselineTotals = all.baseline.map((run) => run.total - run.firstRun);
  const floorFetchTotals = all.floorFetch.map((run) => run.total - run.firstRun);
  return {
    runs: all,
    phases: {
      twin: phaseSummaries(all.twin),
      lambda: phaseSummaries(all.lambda),
      baseline: phaseSummaries(all.baseline),
      floorFetch: phaseSummaries(all.floorFetch),
    },
    baseline: summarize(baselineTotals),
    twinRatio: summarize(all.twin.map((run, index) => run.total / baselineTotals[index])),
    lambdaRatio: summarize(all.lambda.map((run, index) => run.total / baselineTotals[index])),
    lambdaInitRatio: summarize(all.lambda.map((run, index) => (run.total - run.firstRun) / baselineTotals[index])),
    lambdaFirstRequestRatio: summarize(all.lambda.map((run, index) => run.firstRun / all.baseline[index].firstRun)),
    floorFetch: summarize(floorFetchTotals),
    floorFetchRatio: summarize(floorFetchTotals.map((total, index) => total / baselineTotals[index])),
    lambdaFloorFetchRatio: summarize(all.lambda.map((run, index) => run.total / floorFetchTotals[index])),
  };
}
