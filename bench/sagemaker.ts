// `npx tsx bench/sagemaker.ts [rounds] [requests]`: the sagemaker backend's two costs, measured in one run.
// 1. First answer: the SageMaker container entry point (spawn to first 200 from /invocations) against the zip
//    Lambda handler's ES module bundle (spawn, init with the model loaded by top-level await, first infer), on the
//    same model, rounds interleaved.
// 2. Forwarder overhead: the median of N infer requests through the forwarder (API Gateway event -> descriptor check
//    -> SDK InvokeEndpoint -> a loopback SageMaker runtime -> the container) minus the median of the same request
//    sent straight to the container's /invocations. On AWS the real InvokeEndpoint hop replaces the loopback one.
import './environment';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ModelEnvironment } from '../contract/environment';
import { createApiGatewayHandler } from '../lambda/api-gateway-handler';
import { FileDescriptorSource } from '../lambda/model/descriptor-source';
import { ModelRegistry } from '../lambda/model/model-registry';
import { SageMakerForwarderBackend } from '../lambda/model/sagemaker-forwarder';
import {
  containerModel,
  demoDescriptor,
  startContainer,
  waitUntilReady,
} from '../test/e2e/support/sagemaker-container';
import { sageMakerRuntimeClient, startSageMakerRuntime } from '../test/e2e/support/sagemaker-runtime-server';
import { apiGatewayEvent, lambdaContext } from '../test/support/api-gateway-events';
import { demoModelFile } from '../test/support/demo-models';
import { REPO_ROOT, spawnTracked } from './children';
import { measureBundle } from './sizes';
import { median, summarize } from './stats';

const MODEL = 'mnist';
const BODY = JSON.stringify({
  inputs: [
    { name: 'pixels', shape: [1, 784], datatype: 'FP32', data: Array.from({ length: 784 }, (_, i) => (i % 7) / 7) },
  ],
});

// The handler bundle as Lambda runs it: import (init, model loaded), then one infer event; prints when answered.
const ZIP_PROBE = `import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';
const { handler } = await import(pathToFileURL(process.argv[1]).href);
const event = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const context = { awsRequestId: 'first', functionName: 'f', functionVersion: '1', memoryLimitInMB: '2048',
  invokedFunctionArn: 'arn:aws:lambda:local:0:function:f', getRemainingTimeInMillis: () => 20000 };
const answer = await handler(event, context);
if (answer.statusCode !== 200) throw new Error('infer answered ' + answer.statusCode + ' ' + answer.body);
process.stdout.write('answered\\n');`;

async function zipFirstAnswer(bundle: string, eventPath: string, modelsDir: string): Promise<number> {
  const started = performance.now();
  const child = spawnTracked(process.execPath, ['--input-type=module', '-e', ZIP_PROBE, bundle, eventPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      MODELS_DIR: modelsDir,
      NODE_PATH: path.join(REPO_ROOT, 'node_modules'),
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0 || !output.includes('answered')) throw new Error(`the zip handler probe failed (${code})`);
  return performance.now() - started;
}

async function containerFirstAnswer(env: NodeJS.ProcessEnv): Promise<number> {
  const container = await startContainer(env);
  try {
    for (;;) {
      const response = await fetch(`${container.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
      });
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - container.spawnedAt;
      if (response.status !== 503) throw new Error(`/invocations answered ${response.status}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    await container.stop();
  }
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 7);
  const requests = Number(process.argv[3] ?? 300);
  console.log(
    `sagemaker bench: ${rounds} rounds, ${requests} requests, ${os.cpus().length} CPUs, node ${process.version}`,
  );

  const bundle = (await measureBundle()).path;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sagemaker-bench-'));
  const modelsDir = path.join(work, 'models');
  fs.mkdirSync(path.join(modelsDir, MODEL, '1'), { recursive: true });
  fs.copyFileSync(demoModelFile(MODEL), path.join(modelsDir, MODEL, '1', 'model.onnx'));
  const eventPath = path.join(work, 'event.json');
  fs.writeFileSync(
    eventPath,
    JSON.stringify(apiGatewayEvent({ method: 'POST', path: `/v2/models/${MODEL}/infer`, body: BODY })),
  );
  const env = await containerModel(MODEL);

  const zip: number[] = [];
  const container: number[] = [];
  for (let round = 0; round < rounds; round++) {
    container.push(await containerFirstAnswer(env));
    zip.push(await zipFirstAnswer(bundle, eventPath, modelsDir));
  }
  const show = (label: string, values: number[]) => {
    const s = summarize(values);
    console.log(
      `${label}: median ${s.median.toFixed(0)} ms (p25 ${s.p25.toFixed(0)}, p75 ${s.p75.toFixed(0)}, n ${s.n})`,
    );
  };
  show(`first answer, SageMaker container entry point (${MODEL})`, container);
  show(`first answer, zip Lambda handler bundle (${MODEL})`, zip);

  const running = await startContainer(env);
  await waitUntilReady(running.url);
  const runtime = await startSageMakerRuntime({ [`${MODEL}-endpoint`]: running.url });
  const descriptorPath = path.join(work, 'descriptor.json');
  fs.writeFileSync(descriptorPath, (await demoDescriptor(MODEL)).text);
  const registry = new ModelRegistry([
    new SageMakerForwarderBackend(sageMakerRuntimeClient(runtime.url), {
      name: MODEL,
      version: env[ModelEnvironment.version] ?? '1',
      endpointName: `${MODEL}-endpoint`,
      descriptor: new FileDescriptorSource(descriptorPath),
    }),
  ]);
  const forwarder = createApiGatewayHandler(registry);
  const event = apiGatewayEvent({ method: 'POST', path: `/v2/models/${MODEL}/infer`, body: BODY });
  const direct = async () => {
    const response = await fetch(`${running.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
    });
    await response.arrayBuffer();
  };
  const forwarded = async () => {
    const result: APIGatewayProxyResult = await forwarder(event, lambdaContext);
    if (result.statusCode !== 200) throw new Error(`forwarder answered ${result.statusCode}`);
  };
  const times = { direct: [] as number[], forwarded: [] as number[] };
  for (let i = 0; i < 30; i++) {
    await direct();
    await forwarded();
  }
  for (let i = 0; i < requests; i++) {
    for (const [name, call] of [
      ['direct', direct],
      ['forwarded', forwarded],
    ] as const) {
      const started = performance.now();
      await call();
      times[name].push(performance.now() - started);
    }
  }
  const directMs = median(times.direct);
  const forwardedMs = median(times.forwarded);
  console.log(`container /invocations, median of ${requests}: ${directMs.toFixed(2)} ms`);
  console.log(`through the forwarder (loopback InvokeEndpoint), median of ${requests}: ${forwardedMs.toFixed(2)} ms`);
  console.log(`forwarder added latency: ${(forwardedMs - directMs).toFixed(2)} ms`);
  await runtime.close();
  await running.stop();
  fs.rmSync(work, { recursive: true, force: true });
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
