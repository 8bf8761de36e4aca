import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO_MODEL_FIXTURES } from '../scripts/train/model-files';
import { batchTensor, DataType, encodeModel, floatInitializer, ONNX_OPSET } from '../scripts/train/onnx-graph';
import { seededRandom } from '../scripts/train/seeded-random';
import { BENCH_MODELS } from './cases';
import { REPO_ROOT, spawnTracked, stopChild } from './children';
import { median, quantile, type Summary, summarize } from './stats';
import { type Row, summaryRow, textRow } from './table';

/**
 * Many models in one server: a generated repository of small models (copies of the demo models under other names
 * and a mix of small operator graphs), served by the local server started as `npm start` starts it. Measured: time
 * from spawn to ready, resident memory, threads, CPU while idle, and the latency of one small request against the
 * same request on a server with two models, in the same run. Also one model with many versions (--all-versions).
 */
export interface ManyModelsConfig {
  readonly models: number;
  readonly versions: number;
  readonly idleSeconds: number;
  readonly latencyRounds: number;
  readonly requestsPerRound: number;
  /** Extra options for the servers, e.g. ['--max-loaded-models', '64']. */
  readonly serverArgs: readonly string[];
}

export function manyModelsConfig(quick: boolean): ManyModelsConfig {
  return quick
    ? { models: 20, versions: 10, idleSeconds: 0.5, latencyRounds: 2, requestsPerRound: 20, serverArgs: [] }
    : { models: 300, versions: 200, idleSeconds: 3, latencyRounds: 5, requestsPerRound: 200, serverArgs: [] };
}

const MANY_ROOT = path.join(BENCH_MODELS, '.many');

interface Repository {
  readonly dir: string;
  readonly files: number;
  readonly bytes: number;
}

/** A small graph of one of a few shapes: y = op(x·W + b), with op and widths varying by index. */
function smallGraph(index: number): Uint8Array {
  const random = seededRandom(1000 + index);
  const inputs = 4 + (index % 13);
  const outputs = 2 + (index % 5);
  const weights = Float32Array.from({ length: inputs * outputs }, () => random() - 0.5);
  const bias = Float32Array.from({ length: outputs }, () => random() - 0.5);
  const activation = ['Relu', 'Sigmoid', 'Tanh', 'Softmax'][index % 4];
  return encodeModel({
    name: `small_${index}`,
    docString: 'bench: a small generated graph',
    opsets: [ONNX_OPSET],
    nodes: [
      { opType: 'MatMul', input: ['x', 'w'], output: ['xw'] },
      { opType: 'Add', input: ['xw', 'b'], output: ['z'] },
      { opType: activation, input: ['z'], output: ['y'] },
    ],
    inputs: [batchTensor('x', DataType.FLOAT, inputs)],
    outputs: [batchTensor('y', DataType.FLOAT, outputs)],
    initializers: [floatInitializer('w', [inputs, outputs], weights), floatInitializer('b', [outputs], bias)],
  });
}

function writeModel(root: string, name: string, version: string, bytes: Uint8Array): number {
  const dir = path.join(root, name, version);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.onnx'), bytes);
  return bytes.byteLength;
}

/**
 * `count` models: penguins (the request measured) and mnist under their own names, then copies of them under other
 * names (one in six models a copy of mnist, two in six of penguins) and small generated graphs for the rest.
 */
function writeManyModels(count: number): Repository {
  const dir = path.join(MANY_ROOT, `models-${count}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const penguins = fs.readFileSync(path.join(DEMO_MODEL_FIXTURES, 'penguins', '1', 'model.onnx'));
  const mnist = fs.readFileSync(path.join(DEMO_MODEL_FIXTURES, 'mnist', '1', 'model.onnx'));
  let bytes = writeModel(dir, 'penguins', '1', penguins) + writeModel(dir, 'mnist', '1', mnist);
  for (let index = 2; index < count; index++) {
    const kind = index % 6;
    const [name, model] =
      kind === 0
        ? [`mnist-${index}`, mnist]
        : kind <= 2
          ? [`penguins-${index}`, penguins]
          : [`small-${index}`, smallGraph(index)];
    bytes += writeModel(dir, name, '1', model);
  }
  return { dir, files: count, bytes };
}

function writeTwoModels(): Repository {
  const dir = path.join(MANY_ROOT, 'models-2');
  fs.rmSync(dir, { recursive: true, force: true });
  const bytes =
    writeModel(dir, 'penguins', '1', fs.readFileSync(path.join(DEMO_MODEL_FIXTURES, 'penguins', '1', 'model.onnx'))) +
    writeModel(dir, 'mnist', '1', fs.readFileSync(path.join(DEMO_MODEL_FIXTURES, 'mnist', '1', 'model.onnx')));
  return { dir, files: 2, bytes };
}

function writeManyVersions(versions: number): Repository {
  const dir = path.join(MANY_ROOT, `versions-${versions}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const penguins = fs.readFileSync(path.join(DEMO_MODEL_FIXTURES, 'penguins', '1', 'model.onnx'));
  let bytes = 0;
  for (let version = 1; version <= versions; version++) bytes += writeModel(dir, 'penguins', String(version), penguins);
  return { dir, files: versions, bytes };
}

interface Running {
  readonly url: string;
  readonly pid: number;
  readonly readyMs: number;
  stop(): Promise<void>;
}

/** Starts the local server on a repository and waits until /v2/health/ready answers 200. */
async function startUntilReady(dir: string, args: readonly string[], timeoutMs: number): Promise<Running> {
  const started = performance.now();
  const child = spawnTracked(
    process.execPath,
    [path.join(REPO_ROOT, 'scripts', 'start-local-server.js'), '--port', '0', '--models', dir, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN' } },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`no URL within ${timeoutMs} ms\n${output}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout = (stdout + chunk.toString()).slice(-8000);
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}\n${output}`)));
  });
  child.stdout?.resume();
  const pid = child.pid;
  if (pid === undefined) throw new Error('the server has no process id');
  const stop = () => stopChild(child);
  try {
    // A server busy loading may drop or refuse a probe: only its exit or the timeout ends the wait.
    const ready = () =>
      fetch(`${url}/v2/health/ready`).then(
        (response) => response.status === 200,
        () => false,
      );
    while (!(await ready())) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}\n${output}`);
      if (performance.now() - started > timeoutMs) throw new Error(`not ready within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid, readyMs: performance.now() - started, stop };
}

interface ProcessState {
  readonly rssBytes: number;
  readonly peakRssBytes: number;
  readonly threads: number;
  /** User + system CPU time in seconds. */
  readonly cpuSeconds: number;
}

function processState(pid: number): ProcessState {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
  // utime and stime are fields 14 and 15, counted after the command name, which may contain spaces.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100;
  return {
    rssBytes: field('VmRSS') * 1024,
    peakRssBytes: field('VmHWM') * 1024,
    threads: field('Threads'),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond,
  };
}

async function idleCpuPercent(pid: number, seconds: number): Promise<number> {
  const before = processState(pid).cpuSeconds;
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const elapsed = (performance.now() - started) / 1000;
  return ((processState(pid).cpuSeconds - before) / elapsed) * 100;
}

const PENGUIN_REQUEST = JSON.stringify({
  inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [39.1, 18.7, 181, 3750] }],
});

async function timeRequests(url: string, model: string, count: number): Promise<number[]> {
  const millis: number[] = [];
  for (let request = 0; request < count; request++) {
    const started = performance.now();
    const response = await fetch(`${url}/v2/models/${model}/infer`, { method: 'POST', body: PENGUIN_REQUEST });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${model} answered ${response.status}`);
    millis.push(performance.now() - started);
  }
  return millis;
}

export interface ServerFigures {
  readonly repository: string;
  readonly modelFiles: number;
  readonly modelBytes: number;
  readonly readySeconds: number;
  readonly rssMiB: number;
  readonly peakRssMiB: number;
  readonly threads: number;
  readonly idleCpuPercent: number;
}

async function figures(server: Running, repository: Repository, idleSeconds: number): Promise<ServerFigures> {
  // Let the load's aftermath (GC, freed buffers) settle before measuring what an idle server costs.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idle = await idleCpuPercent(server.pid, idleSeconds);
  const state = processState(server.pid);
  return {
    repository: path.basename(repository.dir),
    modelFiles: repository.files,
    modelBytes: repository.bytes,
    readySeconds: server.readyMs / 1000,
    rssMiB: state.rssBytes / 2 ** 20,
    peakRssMiB: state.peakRssBytes / 2 ** 20,
    threads: state.threads,
    idleCpuPercent: idle,
  };
}

export interface ManyModelsResult {
  readonly many: ServerFigures;
  readonly two: ServerFigures;
  readonly versions: ServerFigures;
  /** penguins b1 latency, sequential requests, on the many-model and the two-model server. */
  readonly latencyManyMs: Summary;
  readonly latencyTwoMs: Summary;
  readonly latencyManyP99Ms: number;
  readonly latencyTwoP99Ms: number;
  /** Per round: median latency on the many-model server over the two-model one. */
  readonly latencyRatio: Summary;
  /** One request to every model in turn, each answered once: what a request to a model not used lately costs. */
  readonly sweepMs: Summary;
}

export async function measureManyModels(
  config: ManyModelsConfig,
  progress: (line: string) => void,
): Promise<ManyModelsResult> {
  const manyRepository = writeManyModels(config.models);
  const twoRepository = writeTwoModels();
  const timeoutMs = 300_000;
  const many = await startUntilReady(manyRepository.dir, config.serverArgs, timeoutMs);
  let two: Running | undefined;
  try {
    const manyFigures = await figures(many, manyRepository, config.idleSeconds);
    progress(`many models: ${JSON.stringify(manyFigures)}`);
    two = await startUntilReady(twoRepository.dir, config.serverArgs, timeoutMs);
    const twoFigures = await figures(two, twoRepository, config.idleSeconds);
    // Warm-up, then alternating rounds so that noise spreads over both servers.
    await timeRequests(many.url, 'penguins', 20);
    await timeRequests(two.url, 'penguins', 20);
    const samples = { many: [] as number[], two: [] as number[] };
    const ratios: number[] = [];
    for (let round = 0; round < config.latencyRounds; round++) {
      const onMany = await timeRequests(many.url, 'penguins', config.requestsPerRound);
      const onTwo = await timeRequests(two.url, 'penguins', config.requestsPerRound);
      samples.many.push(...onMany);
      samples.two.push(...onTwo);
      ratios.push(median(onMany) / median(onTwo));
    }
    const names = fs.readdirSync(manyRepository.dir).filter((name) => name.startsWith('penguins'));
    const sweep: number[] = [];
    for (const name of names) sweep.push(...(await timeRequests(many.url, name, 1)));
    await two.stop();
    await many.stop();
    const versionsRepository = writeManyVersions(config.versions);
    const versions = await startUntilReady(versionsRepository.dir, ['--all-versions', ...config.serverArgs], timeoutMs);
    let versionFigures: ServerFigures;
    try {
      versionFigures = await figures(versions, versionsRepository, config.idleSeconds);
    } finally {
      await versions.stop();
    }
    return {
      many: manyFigures,
      two: twoFigures,
      versions: versionFigures,
      latencyManyMs: summarize(samples.many),
      latencyTwoMs: summarize(samples.two),
      latencyManyP99Ms: quantile(samples.many, 0.99),
      latencyTwoP99Ms: quantile(samples.two, 0.99),
      latencyRatio: summarize(ratios),
      sweepMs: summarize(sweep),
    };
  } finally {
    await two?.stop();
    await many.stop();
  }
}

export function manyModelsRows(result: ManyModelsResult): Row[] {
  const rows: Row[] = [];
  for (const [subject, figures] of [
    [`${result.many.modelFiles} models`, result.many],
    ['2 models', result.two],
    [`1 model × ${result.versions.modelFiles} versions`, result.versions],
  ] as const) {
    rows.push(textRow('many', subject, 'ready after spawn (s)', figures.readySeconds.toFixed(1)));
    rows.push(textRow('many', subject, 'RSS when ready (MiB)', figures.rssMiB.toFixed(0)));
    rows.push(textRow('many', subject, 'peak RSS (MiB)', figures.peakRssMiB.toFixed(0)));
    rows.push(textRow('many', subject, 'threads', String(figures.threads)));
    rows.push(textRow('many', subject, 'idle CPU (% of one core)', figures.idleCpuPercent.toFixed(1)));
  }
  const subject = `${result.many.modelFiles} models`;
  rows.push(summaryRow('many', subject, 'penguins b1 latency', result.latencyManyMs, 'ms', 2));
  rows.push(summaryRow('many', '2 models', 'penguins b1 latency', result.latencyTwoMs, 'ms', 2));
  rows.push(summaryRow('many', `${subject} / 2 models`, 'penguins b1 latency, per round', result.latencyRatio, '×', 2));
  rows.push(summaryRow('many', subject, 'one request to each penguins copy', result.sweepMs, 'ms', 2));
  return rows;
}

// `npx tsx bench/many-models.ts [--quick] [-- server options]`: this part alone.
if (require.main === module) {
  const argv = process.argv.slice(2);
  const separator = argv.indexOf('--');
  const base = manyModelsConfig(argv.includes('--quick'));
  const config = { ...base, serverArgs: separator < 0 ? [] : argv.slice(separator + 1) };
  measureManyModels(config, (line) => process.stderr.write(`${line}\n`)).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      for (const row of manyModelsRows(result)) process.stdout.write(`${Object.values(row).join(' | ')}\n`);
    },
    (error: Error) => {
      process.stderr.write(`${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
}
