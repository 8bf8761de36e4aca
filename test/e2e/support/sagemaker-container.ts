import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ModelEnvironment } from '../../../contract/environment';
import {
  buildModelDescriptor,
  DESCRIPTOR_FILE,
  type ModelDescriptor,
  serializeModelDescriptor,
  sha256Hex,
} from '../../../contract/model-descriptor';
import { loadOnnxModel } from '../../../lambda/model/onnx-model';
import { bundleSageMakerServer, IMAGE_ENTRY_FILE } from '../../../lib/constructs/sagemaker-container-image';
import { type DemoModelName, demoModelFile } from '../../support/demo-models';

const REPOSITORY_ROOT = path.join(__dirname, '..', '..', '..');
const START_TIMEOUT_MS = 30_000;

// What an image holds: the bundled entry point (the image's own bundle) and its worker (every dependency inside but ONNX Runtime, which
// node_modules provides, here through NODE_PATH), the model file and its descriptor beside it.
let bundle: string | undefined;
export function containerBundle(): string {
  if (bundle === undefined) {
    bundle = path.join(mkdtempSync(path.join(tmpdir(), 'sagemaker-container-')), IMAGE_ENTRY_FILE);
    bundleSageMakerServer(bundle);
  }
  return bundle;
}

/** The descriptor synth would build for a demo model: its session's spec and the file's sha256. */
export async function demoDescriptor(name: DemoModelName): Promise<{ descriptor: ModelDescriptor; text: string }> {
  const bytes = readFileSync(demoModelFile(name));
  const model = await loadOnnxModel(name, '1', bytes);
  await model.release();
  const descriptor = buildModelDescriptor(model.spec, { sha256: sha256Hex(bytes), sizeBytes: bytes.byteLength });
  return { descriptor, text: serializeModelDescriptor(descriptor) };
}

/**
 * A model folder as the image lays it out (model.onnx with descriptor.json beside it) and the environment the
 * container is started with. `descriptorText` replaces the right descriptor, for the refusal tests.
 */
export async function containerModel(
  name: DemoModelName,
  options: { readonly descriptorText?: string; readonly sha256?: string } = {},
): Promise<NodeJS.ProcessEnv> {
  const dir = mkdtempSync(path.join(tmpdir(), `container-model-${name}-`));
  const modelPath = path.join(dir, 'model.onnx');
  copyFileSync(demoModelFile(name), modelPath);
  const text = options.descriptorText ?? (await demoDescriptor(name)).text;
  writeFileSync(path.join(dir, DESCRIPTOR_FILE), text);
  return {
    [ModelEnvironment.name]: name,
    [ModelEnvironment.version]: '1',
    [ModelEnvironment.modelPath]: modelPath,
    [ModelEnvironment.sha256]: options.sha256 ?? sha256Hex(readFileSync(modelPath)),
    [ModelEnvironment.descriptorSha256]: sha256Hex(text),
  };
}

export interface RunningContainer {
  readonly child: ChildProcess;
  readonly url: string;
  /** Milliseconds from spawn until the entry point listened. */
  readonly listeningMs: number;
  readonly spawnedAt: number;
  output(): string;
  stop(): Promise<void>;
}

/** Starts the entry point as SageMaker does (`<entry> serve`, SAGEMAKER_BIND_TO_PORT), on a free loopback port. */
export async function startContainer(modelEnv: NodeJS.ProcessEnv): Promise<RunningContainer> {
  const entry = containerBundle();
  const { MODELS_DIR: _dir, MODEL_BUCKET: _bucket, SAGEMAKER_ENDPOINT_NAME: _endpoint, ...inherited } = process.env;
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [entry, 'serve'], {
    env: {
      ...inherited,
      ...modelEnv,
      SAGEMAKER_BIND_TO_PORT: '0',
      NODE_PATH: path.join(REPOSITORY_ROOT, 'node_modules'),
      POWERTOOLS_LOG_LEVEL: 'INFO',
    },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const port = /listening on port (\d+)/.exec(output)?.[1];
    if (port !== undefined) {
      return {
        child,
        // 127.0.0.1: the entry point binds 0.0.0.0 as SageMaker needs, the test talks over loopback only.
        url: `http://127.0.0.1:${port}`,
        listeningMs: performance.now() - spawnedAt,
        spawnedAt,
        output: () => output,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`the SageMaker container entry point did not start:\n${output}`);
}

/** Waits until the container has printed a line matching `pattern` (its logs reach the pipe asynchronously). */
export async function waitForOutput(container: RunningContainer, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = pattern.exec(container.output());
    if (match !== null) return match[0];
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the container never printed ${pattern}:\n${container.output()}`);
}

/** Polls /ping until it answers 200, or gives up with the last answer. */
export async function waitUntilReady(url: string, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    last = (await fetch(`${url}/ping`)).status;
    if (last === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`/ping still answers ${last}`);
}
