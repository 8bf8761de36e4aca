import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { ModelEnvironment } from '../../contract/environment';
import { buildModelDescriptor, DESCRIPTOR_FILE, sha256Hex } from '../../contract/model-descriptor';
import {
  IMAGE_ENTRY_FILE,
  IMAGE_MODEL_PATH,
  SageMakerContainerImage,
} from '../../lib/constructs/sagemaker-container-image';
import { demoModelFile } from '../support/demo-models';
import { testApp } from './synth';

const MODEL_FILE = demoModelFile('penguins');
const PROBE_ENTRY = path.join(__dirname, '..', 'fixtures', 'sagemaker-container', 'layout-probe.mts');
const descriptor = buildModelDescriptor(
  { name: 'penguins', version: '1', inputs: [], outputs: [] },
  { sha256: sha256Hex(fs.readFileSync(MODEL_FILE)), sizeBytes: fs.statSync(MODEL_FILE).size },
);

interface Dockerfile {
  readonly copies: readonly { readonly source: string; readonly destination: string }[];
  readonly env: Readonly<Record<string, string>>;
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
}

/** The instructions of the Dockerfile that decide the image's layout and start command. */
function parseDockerfile(text: string): Dockerfile {
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const copies: { source: string; destination: string }[] = [];
  const env: Record<string, string> = {};
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  for (const line of instructions) {
    const [keyword, ...rest] = line.split(/\s+/);
    if (keyword === 'COPY') copies.push({ source: rest[0] ?? '', destination: rest[1] ?? '' });
    if (keyword === 'ENV') {
      for (const pair of rest) {
        const [name, value] = pair.split('=');
        if (name !== undefined && value !== undefined) env[name] = value;
      }
    }
    if (keyword === 'ENTRYPOINT') entrypoint = JSON.parse(rest.join(' ')) as string[];
    if (keyword === 'CMD') cmd = JSON.parse(rest.join(' ')) as string[];
  }
  return { copies, env, entrypoint, cmd };
}

describe('SageMakerContainerImage', () => {
  // One bundled synth for the file: esbuild and the copies are the slow part.
  const app = testApp({ bundling: true });
  const stack = new Stack(app, 'Image');
  const image = new SageMakerContainerImage(stack, 'Image', {
    modelFile: MODEL_FILE,
    descriptor,
    entry: PROBE_ENTRY,
  });
  const dockerfile = parseDockerfile(fs.readFileSync(path.join(image.contextDir, 'Dockerfile'), 'utf8'));

  it('stages every path the Dockerfile copies', () => {
    expect(dockerfile.copies.map((copy) => copy.source)).toEqual(['node_modules/', 'model/', 'app/']);
    for (const copy of dockerfile.copies) {
      expect(fs.readdirSync(path.join(image.contextDir, copy.source)).length).toBeGreaterThan(0);
    }
    expect(fs.existsSync(path.join(image.contextDir, 'app', IMAGE_ENTRY_FILE))).toBe(true);
    expect(fs.readFileSync(path.join(image.contextDir, 'model', 'model.onnx'))).toEqual(fs.readFileSync(MODEL_FILE));
    expect(fs.existsSync(path.join(image.contextDir, 'model', DESCRIPTOR_FILE))).toBe(true);
  });

  it("holds only the image platform's ONNX Runtime binaries", () => {
    const linux = path.join(image.contextDir, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux');
    expect(fs.readdirSync(linux)).toEqual(['x64']);
    expect(fs.existsSync(path.join(linux, 'x64', 'onnxruntime_binding.node'))).toBe(true);
    expect(
      fs.existsSync(path.join(image.contextDir, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'darwin')),
    ).toBe(false);
    expect(fs.existsSync(path.join(image.contextDir, 'node_modules', 'onnxruntime-common', 'package.json'))).toBe(true);
  });

  it('puts the model where the container environment says it is', () => {
    expect(image.environment[ModelEnvironment.modelPath]).toBe(IMAGE_MODEL_PATH);
    expect(dockerfile.env.MODEL_PATH).toBe(IMAGE_MODEL_PATH);
    const modelCopy = dockerfile.copies.find((copy) => copy.source === 'model/');
    expect(modelCopy?.destination).toBe(`${path.posix.dirname(IMAGE_MODEL_PATH)}/`);
  });

  it('starts with `serve` as SageMaker runs it, from the layout the COPY lines build', () => {
    // The image's file system rebuilt under a temporary root from the Dockerfile's own COPY lines, then its
    // ENTRYPOINT run with the argument SageMaker passes (`docker run <image> serve`). x64 binaries: this machine's.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sagemaker-image-'));
    try {
      for (const copy of dockerfile.copies) {
        fs.cpSync(path.join(image.contextDir, copy.source), path.join(root, copy.destination), { recursive: true });
      }
      const [node, entry, ...entryArgs] = dockerfile.entrypoint;
      expect(node).toBe('node');
      const output = execFileSync(process.execPath, [path.join(root, entry ?? ''), ...entryArgs, 'serve'], {
        env: { PATH: process.env.PATH ?? '', MODEL_PATH: path.join(root, IMAGE_MODEL_PATH) },
        encoding: 'utf8',
      });
      expect(JSON.parse(output)).toEqual({ args: ['serve'], inputs: expect.any(Array), descriptor: 'penguins' });
      expect((JSON.parse(output) as { inputs: string[] }).inputs.length).toBeGreaterThan(0);
      expect(dockerfile.cmd).toEqual(['serve']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it.each([
    ['x86_64', 'linux/amd64'],
    ['arm64', 'linux/arm64'],
  ] as const)('asks `cdk deploy` to build the %s image for %s, with no Docker at synth', (architecture, platform) => {
    const armApp = testApp();
    const armStack = new Stack(armApp, 'Platform');
    new SageMakerContainerImage(armStack, 'Image', {
      modelFile: MODEL_FILE,
      descriptor,
      entry: PROBE_ENTRY,
      architecture,
    });
    const assembly = armApp.synth();
    const assets = JSON.parse(
      fs.readFileSync(path.join(assembly.directory, `${armStack.artifactId}.assets.json`), 'utf8'),
    ) as { dockerImages: Record<string, { source: { platform?: string; directory?: string } }> };
    const images = Object.values(assets.dockerImages);
    expect(images).toHaveLength(1);
    expect(images[0]?.source.platform).toBe(platform);
  });

  it('fails when the entry point does not exist, naming the prop', () => {
    expect(
      () =>
        new SageMakerContainerImage(new Stack(testApp(), 'Missing'), 'Image', {
          modelFile: MODEL_FILE,
          descriptor,
          entry: '/nowhere/sagemaker-server.ts',
        }),
    ).toThrow(/^entry \(\/nowhere\/sagemaker-server.ts\) does not exist/);
  });
});
