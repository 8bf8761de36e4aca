import './environment';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { containerModel, startContainer, waitUntilReady } from '../test/e2e/support/sagemaker-container';
import type { DemoModelName } from '../test/support/demo-models';
import { captureBenchSize, measureCapture } from './capture';
import { allCases, BENCH_MODELS, type BenchCase, benchCase, modelCases, prepareRepository, RESULTS_DIR } from './cases';
import { REPO_ROOT, type ServerProcess, startServer } from './children';
import { measureColdStarts } from './cold-start';
import { benchConfig } from './config';
import { driftRows, measureDrift } from './drift';
import { measureEventLoop } from './event-loop';
import { createHandlerBench, jsonAlone } from './handler';
import { compareHttp, type HttpComparison } from './http';
import { measureImports } from './imports';
import { manyModelsConfig, manyModelsRows, measureManyModels } from './many-models';
import { measureMemory } from './memory';
import { rawRunner } from './raw';
import { measureBundle, measureLayer } from './sizes';
import { median, summarize, timeCalls } from './stats';
import { type Row, renderTable, summaryRow, textRow } from './table';

/**
 * `npm run bench [-- --quick]`: every part of the suite in one run, one table on stdout (progress on stderr), and
 * the same numbers as JSON in bench/results/<timestamp>.json and latest.json. Exits non-zero if any part failed.
 */
const config = benchConfig(process.argv.slice(2));
const rows: Row[] = [];
const results: Record<string, unknown> = {};
const failures: string[] = [];
const started = performance.now();

function progress(line: string): void {
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1)} s] ${line}\n`);
}

/** Runs one part; a failure is recorded and reported, and the remaining parts still run. */
async function part(name: string, work: () => Promise<void>): Promise<void> {
  progress(`${name}...`);
  try {
    await work();
  } catch (error) {
    const message = (error as Error).message.split('\n').slice(0, 3).join(' ');
    failures.push(`${name}: ${(error as Error).stack ?? message}`);
    rows.push(textRow(name, '', 'FAILED', message.slice(0, 160)));
    progress(`${name} FAILED: ${(error as Error).stack ?? message}`);
  }
}

async function inProcess(cases: readonly BenchCase[]): Promise<void> {
  const onThread = await createHandlerBench('main');
  const inWorker = await createHandlerBench('worker');
  const perCase = [];
  try {
    for (const benchCase of cases) {
      const raw = await rawRunner(benchCase);
      const jsonFloor = jsonAlone(benchCase.body, await onThread.json(benchCase)());
      // Each variant is timed once per round, one after the other, so that noise spreads over all of them.
      const variants = {
        raw: raw.run,
        handler: onThread.json(benchCase),
        worker: inWorker.json(benchCase),
        binary: onThread.binary(benchCase),
        json: jsonFloor,
      };
      const budget = config.inProcessBudgetMs;
      const time = (work: () => Promise<unknown>, ms: number) => timeCalls(work, ms, 3, 50_000);
      // Warm-up: JIT and ONNX Runtime's first-run allocations stay out of the numbers.
      for (const work of Object.values(variants)) await time(work, budget / 4);
      const samples = {
        raw: [] as number[],
        handler: [] as number[],
        worker: [] as number[],
        binary: [] as number[],
        json: [] as number[],
      };
      const perRound = {
        overhead: [] as number[],
        workerHop: [] as number[],
        jsonOverBinary: [] as number[],
        jsonPathOverJsonAlone: [] as number[],
        jsonOverBinaryPath: [] as number[],
      };
      for (let round = 0; round < config.inProcessRounds; round++) {
        const medians = { raw: 0, handler: 0, worker: 0, binary: 0, json: 0 };
        for (const name of ['raw', 'handler', 'worker', 'binary', 'json'] as const) {
          const micros = await time(variants[name], budget);
          samples[name].push(...micros);
          medians[name] = median(micros);
        }
        perRound.overhead.push(medians.handler - medians.raw);
        perRound.workerHop.push(medians.worker - medians.handler);
        perRound.jsonOverBinary.push(medians.handler / medians.binary);
        perRound.jsonPathOverJsonAlone.push((medians.handler - medians.raw) / medians.json);
        perRound.jsonOverBinaryPath.push((medians.handler - medians.binary) / medians.json);
      }
      await raw.release();
      const entry = {
        case: benchCase.label,
        raw: summarize(samples.raw),
        handler: summarize(samples.handler),
        handlerInWorker: summarize(samples.worker),
        handlerBinary: summarize(samples.binary),
        handlerMinusRaw: summarize(perRound.overhead),
        workerMinusHandler: summarize(perRound.workerHop),
        jsonOverBinary: summarize(perRound.jsonOverBinary),
        jsonAlone: summarize(samples.json),
        jsonPathOverJsonAlone: summarize(perRound.jsonPathOverJsonAlone),
        jsonOverBinaryPath: summarize(perRound.jsonOverBinaryPath),
      };
      perCase.push(entry);
      const subject = benchCase.label;
      rows.push(summaryRow('raw', subject, 'session.run', entry.raw, 'µs', 0));
      rows.push(summaryRow('handler', subject, 'event→response, JSON', entry.handler, 'µs', 0));
      rows.push(summaryRow('handler', subject, 'handler − raw, per round', entry.handlerMinusRaw, 'µs', 0));
      rows.push(summaryRow('handler', subject, 'event→response, model in worker', entry.handlerInWorker, 'µs', 0));
      rows.push(summaryRow('handler', subject, 'worker − handler, per round', entry.workerMinusHandler, 'µs', 0));
      rows.push(summaryRow('handler', subject, 'event→response, binary tensors', entry.handlerBinary, 'µs', 0));
      rows.push(summaryRow('handler', subject, 'JSON/binary time, per round', entry.jsonOverBinary, '×', 2));
      rows.push(summaryRow('json', subject, 'JSON.parse body + JSON.stringify answer', entry.jsonAlone, 'µs', 0));
      rows.push(
        summaryRow('json', subject, '(handler − raw) / JSON alone, per round', entry.jsonPathOverJsonAlone, '×', 2),
      );
      // The same handler, model and session with binary tensors instead: only the body's encoding differs, so the
      // model's run (and any contention from the other sessions' thread pools) cancels out.
      rows.push(
        summaryRow(
          'json',
          subject,
          '(JSON − binary handler) / JSON alone, per round',
          entry.jsonOverBinaryPath,
          '×',
          2,
        ),
      );
      progress(
        `in process ${subject}: raw ${entry.raw.median.toFixed(0)} µs, handler ${entry.handler.median.toFixed(0)} µs`,
      );
    }
  } finally {
    await onThread.release();
    await inWorker.release();
  }
  results.inProcess = perCase;
}

/**
 * The rows of one server's HTTP comparison with the naive server: its throughput, latency and CPU per request, and
 * the per-round ratios. `name` labels the server's rows ("http" for the twin); the naive server's own rows are added
 * once, with the twin's.
 */
function httpRows(name: string, comparisons: readonly HttpComparison[], options: { withNaive: boolean }): void {
  for (const { benchCase, connections, twin: subjectRuns, naive: naiveRuns, ratios } of comparisons) {
    const subject = `${benchCase.label} c${connections}`;
    const servers = options.withNaive
      ? ([
          [name, subjectRuns],
          ['naive', naiveRuns],
        ] as const)
      : ([[name, subjectRuns]] as const);
    for (const [server, runs] of servers) {
      rows.push(
        summaryRow(server, subject, 'throughput', summarize(runs.map((run) => run.requestsPerSecond)), 'req/s', 0),
      );
      rows.push(summaryRow(server, subject, 'latency p50', summarize(runs.map((run) => run.p50Ms)), 'ms', 2));
      rows.push(summaryRow(server, subject, 'latency p99', summarize(runs.map((run) => run.p99Ms)), 'ms', 2));
      const cpu = runs.flatMap((run) => (run.cpuPerRequestUs === undefined ? [] : [run.cpuPerRequestUs]));
      if (cpu.length > 0) {
        rows.push(summaryRow(server, subject, 'server CPU per request', summarize(cpu.map((c) => c.process)), 'µs', 0));
        rows.push(
          summaryRow(server, subject, 'main thread CPU per request', summarize(cpu.map((c) => c.mainThread)), 'µs', 0),
        );
      }
    }
    rows.push(summaryRow(`${name}/naive`, subject, 'throughput ratio, per round', summarize(ratios), '×', 2));
    // Throughput per CPU-second of the server: the naive server's ONNX Runtime may spin a second core.
    const perCpu = subjectRuns.flatMap((run, index) => {
      const subjectCpu = run.cpuPerRequestUs?.process;
      const naiveCpu = naiveRuns[index].cpuPerRequestUs?.process;
      return subjectCpu === undefined || naiveCpu === undefined || subjectCpu === 0 ? [] : [naiveCpu / subjectCpu];
    });
    if (perCpu.length > 0) {
      rows.push(summaryRow(`${name}/naive`, subject, 'requests per CPU-second ratio', summarize(perCpu), '×', 2));
    }
    const added = subjectRuns.map((run, index) => run.p50Ms - naiveRuns[index].p50Ms);
    rows.push(summaryRow(`${name} − naive`, subject, 'latency p50 added, per round', summarize(added), 'ms', 2));
  }
}

/** HTTP comparisons as the results file keeps them: each case by its label. */
function comparisonResults(comparisons: readonly HttpComparison[]): unknown[] {
  return comparisons.map(({ benchCase, ...rest }) => ({ case: benchCase.label, ...rest }));
}

/**
 * The production server: the SageMaker container's entry point (its own bundle, as the image runs it, serving one
 * model on POST /invocations) against the naive server, for the single rows of the small models in
 * `config.containerModels`, the requests where the twin falls short. The container shares the twin's HTTP server,
 * model placement and protocol core, but not its API Gateway event and proxy result: the difference between the two
 * is what the twin's parity with Lambda costs.
 */
async function compareContainers(naive: ServerProcess, cases: readonly BenchCase[]): Promise<unknown[]> {
  const results: unknown[] = [];
  for (const small of cases.filter((entry) => entry.batch === 1 && config.containerModels.includes(entry.model))) {
    const container = await startContainer(await containerModel(small.model as DemoModelName));
    try {
      await waitUntilReady(container.url);
      const comparisons = await compareHttp(
        { url: container.url, child: container.child, pathOf: () => '/invocations' },
        naive,
        [small],
        config.httpConnections,
        config.httpRounds,
        config.httpDurationSeconds,
        progress,
      );
      httpRows('container', comparisons, { withNaive: false });
      results.push(...comparisonResults(comparisons));
    } finally {
      await container.stop();
    }
  }
  return results;
}

async function httpAndEventLoop(cases: readonly BenchCase[]): Promise<void> {
  const servers: ServerProcess[] = [];
  try {
    const twin = await startServer(path.join(REPO_ROOT, 'scripts', 'start-local-server.js'), [
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--models',
      BENCH_MODELS,
    ]);
    servers.push(twin);
    const naive = await startServer(path.join(REPO_ROOT, 'bench', 'naive-server.ts'), [
      '--port',
      '0',
      '--models',
      BENCH_MODELS,
    ]);
    servers.push(naive);

    await part('http', async () => {
      const comparisons = await compareHttp(
        twin,
        naive,
        cases,
        config.httpConnections,
        config.httpRounds,
        config.httpDurationSeconds,
        progress,
      );
      results.http = comparisonResults(comparisons);
      httpRows('http', comparisons, { withNaive: true });
    });

    await part('sagemaker container', async () => {
      results.sagemakerContainer = await compareContainers(naive, cases);
    });

    await part('event loop', async () => {
      const wide = modelCases(config).find((model) => model.model === 'wide');
      if (wide === undefined) throw new Error('no wide model case');
      const longCase = benchCase(wide, config.eventLoopBatch);
      const perServer: Record<string, unknown> = {};
      for (const [name, server] of [
        ['http', twin],
        ['naive', naive],
      ] as const) {
        const result = await measureEventLoop(server, longCase, config.eventLoopSeconds);
        perServer[name] = result;
        const subject = `${name} (${longCase.label})`;
        rows.push(summaryRow('event loop', subject, 'live p50 idle', result.idle, 'ms', 2));
        rows.push(
          textRow(
            'event loop',
            subject,
            'live p99 / max idle (ms)',
            `${result.idle.p99.toFixed(2)} / ${result.idle.max.toFixed(2)}`,
          ),
        );
        rows.push(summaryRow('event loop', subject, 'live p50 during inference', result.busy, 'ms', 2));
        rows.push(
          textRow(
            'event loop',
            subject,
            'live p99 / max during inference (ms)',
            `${result.busy.p99.toFixed(2)} / ${result.busy.max.toFixed(2)}`,
          ),
        );
        rows.push(summaryRow('event loop', subject, 'the inference itself', result.inference, 'ms', 1));
        const delay = result.serverDelay;
        rows.push(
          textRow(
            'event loop',
            subject,
            "server's loop delay p50 / p99 / max (ms)",
            `${delay.p50.toFixed(1)} / ${delay.p99.toFixed(1)} / ${delay.max.toFixed(1)}`,
          ),
        );
      }
      results.eventLoop = perServer;
    });
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

async function main(): Promise<void> {
  progress(`${config.quick ? 'quick' : 'full'} run on ${os.cpus().length} CPUs, node ${process.version}`);
  let modelBytes: Record<string, number> = {};
  await part('models', async () => {
    modelBytes = prepareRepository(config);
    rows.push(textRow('models', 'wide', 'model.onnx size (MB)', (modelBytes.wide / 1e6).toFixed(1)));
  });
  const cases = allCases(config);

  let bundlePath: string | undefined;
  await part('sizes', async () => {
    const bundle = await measureBundle();
    bundlePath = bundle.path;
    const layer = measureLayer();
    results.sizes = { bundle, layer };
    rows.push(textRow('sizes', 'handler bundle', 'minified (KB)', (bundle.bytes / 1e3).toFixed(1)));
    rows.push(textRow('sizes', 'handler bundle', 'minified + gzip (KB)', (bundle.gzipBytes / 1e3).toFixed(1)));
    rows.push(
      textRow('sizes', 'ONNX Runtime layer', `unzipped (MB), ${layer.files} files`, (layer.bytes / 1e6).toFixed(1)),
    );
    rows.push(textRow('sizes', 'ONNX Runtime layer', 'measured from', layer.source));
  });

  await part('in process', () => inProcess(cases));

  await part('capture', async () => {
    const captured = await measureCapture(captureBenchSize(config.quick), progress);
    results.capture = captured;
    for (const result of captured) {
      rows.push(summaryRow('capture', result.case, 'answer, capture on/off, per round', result.answerRatio, '×', 3));
      rows.push(summaryRow('capture', result.case, 'answer, capture on', result.answerOn, 'µs'));
      rows.push(summaryRow('capture', result.case, 'answer, capture off', result.answerOff, 'µs'));
    }
  });

  await part('cold start', async () => {
    if (bundlePath === undefined) throw new Error('no handler bundle (the sizes part failed)');
    const mnist = cases.find((benchCase) => benchCase.model === 'mnist' && benchCase.batch === 1);
    if (mnist === undefined) throw new Error('no mnist b1 case');
    const cold = await measureColdStarts(bundlePath, mnist, config.coldStartRuns, progress);
    results.coldStart = cold;
    for (const kind of ['twin', 'lambda', 'baseline'] as const) {
      const phases = cold.phases[kind];
      const subject = `${kind} (mnist)`;
      rows.push(summaryRow('cold start', subject, 'node start', phases.nodeStart, 'ms'));
      rows.push(summaryRow('cold start', subject, 'import onnxruntime-node', phases.runtimeImport, 'ms'));
      if (kind === 'lambda') {
        // The handler module loads the model at top level: its import is Lambda's init phase, model included.
        rows.push(summaryRow('cold start', subject, 'init: import handler, model loaded', phases.handlerImport, 'ms'));
        rows.push(summaryRow('cold start', subject, 'first request after init', phases.firstRun, 'ms'));
      } else {
        if (kind === 'twin')
          rows.push(summaryRow('cold start', subject, 'import handler modules', phases.handlerImport, 'ms'));
        rows.push(summaryRow('cold start', subject, 'model load + session', phases.modelLoad, 'ms'));
        rows.push(summaryRow('cold start', subject, 'first run (answer)', phases.firstRun, 'ms'));
      }
      rows.push(summaryRow('cold start', subject, 'spawn → first answer', phases.total, 'ms'));
    }
    rows.push(summaryRow('cold start', 'baseline', 'node + ORT import + session', cold.baseline, 'ms'));
    const fetch = cold.phases.floorFetch;
    rows.push(summaryRow('cold start', 'floor + fetch (mnist)', 'node start', fetch.nodeStart, 'ms'));
    rows.push(
      summaryRow(
        'cold start',
        'floor + fetch (mnist)',
        'import onnxruntime-node, GETs sent',
        fetch.runtimeImport,
        'ms',
      ),
    );
    rows.push(
      summaryRow('cold start', 'floor + fetch (mnist)', 'GETs answered + sha256 + session', fetch.modelLoad, 'ms'),
    );
    rows.push(
      summaryRow(
        'cold start',
        'floor + fetch',
        'node + ORT import + signed GETs + sha256 + session',
        cold.floorFetch,
        'ms',
      ),
    );
    rows.push(summaryRow('cold start', '(floor + fetch)/baseline', 'ratio, per round', cold.floorFetchRatio, '×', 2));
    rows.push(
      summaryRow('cold start', 'lambda/(floor + fetch)', 'ratio, per round', cold.lambdaFloorFetchRatio, '×', 2),
    );
    rows.push(summaryRow('cold start', 'twin/baseline', 'ratio, per round', cold.twinRatio, '×', 2));
    rows.push(summaryRow('cold start', 'lambda/baseline', 'ratio, per round', cold.lambdaRatio, '×', 2));
    rows.push(
      summaryRow(
        'cold start',
        'lambda/baseline',
        'init (spawn → model loaded), per round',
        cold.lambdaInitRatio,
        '×',
        2,
      ),
    );
    rows.push(
      summaryRow(
        'cold start',
        'lambda/baseline',
        'first request / first session.run',
        cold.lambdaFirstRequestRatio,
        '×',
        2,
      ),
    );
  });

  await part('imports', async () => {
    if (bundlePath === undefined) throw new Error('no handler bundle (the sizes part failed)');
    const imports = await measureImports(bundlePath, config.importRounds);
    results.imports = imports;
    for (const [subject, times] of Object.entries(imports))
      rows.push(summaryRow('imports', subject, 'import alone', times, 'ms', 0));
  });

  await part('memory', async () => {
    if (bundlePath === undefined) throw new Error('no handler bundle (the sizes part failed)');
    const mnist = cases.find((benchCase) => benchCase.model === 'mnist' && benchCase.batch === 32);
    if (mnist === undefined) throw new Error('no mnist b32 case');
    const memory = await measureMemory(bundlePath, mnist, config.memoryRequests, config.memoryRounds, progress);
    results.memory = memory;
    const subject = `mnist b32 × ${memory.requests}`;
    rows.push(summaryRow('memory', `lambda, ${subject}`, 'peak RSS', memory.peak.lambda, 'MB', 0));
    rows.push(summaryRow('memory', `floor, ${subject}`, 'peak RSS', memory.peak.floor, 'MB', 0));
    rows.push(summaryRow('memory', 'lambda/floor', 'peak RSS ratio, per round', memory.peakRatio, '×', 2));
    rows.push(summaryRow('memory', 'lambda', 'RSS growth per 1,000 requests, 2nd half', memory.growth.lambda, 'MB', 2));
    rows.push(summaryRow('memory', 'floor', 'RSS growth per 1,000 requests, 2nd half', memory.growth.floor, 'MB', 2));
  });

  await part('servers', () => httpAndEventLoop(cases));

  await part('drift', async () => {
    const drift = await measureDrift(config.quick, progress);
    results.drift = drift;
    rows.push(...driftRows(drift));
  });

  await part('many', async () => {
    const many = await measureManyModels(manyModelsConfig(config.quick), progress);
    results.manyModels = many;
    rows.push(...manyModelsRows(many));
  });

  const seconds = (performance.now() - started) / 1000;
  rows.push(textRow('run', config.quick ? 'quick' : 'full', 'wall time (s)', seconds.toFixed(1)));
  console.log(renderTable(rows));

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const report = {
    startedAt: new Date(Date.now() - seconds * 1000).toISOString(),
    wallSeconds: seconds,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      node: process.version,
      platform: `${os.platform()}-${os.arch()}`,
    },
    config,
    modelBytes,
    ...results,
    failures,
  };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  fs.writeFileSync(path.join(RESULTS_DIR, `${stamp}${config.quick ? '-quick' : ''}.json`), json);
  fs.writeFileSync(path.join(RESULTS_DIR, 'latest.json'), json);
  progress(`results in bench/results/${stamp}${config.quick ? '-quick' : ''}.json`);
  if (failures.length > 0) {
    progress(`${failures.length} part(s) failed`);
    process.exitCode = 1;
  }
}

// Exit explicitly: ONNX Runtime's thread pools and HTTP keep-alive sockets must not hold a finished run open.
void main().then(() => process.exit());
