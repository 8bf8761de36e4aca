import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ModelEnvironment } from '../../contract/environment';
import { DESCRIPTOR_FILE, parseModelDescriptor, sha256Hex } from '../../contract/model-descriptor';
import { IMAGE_MODEL_DIR } from '../../lib/constructs/image-context';
import type { ModelEndpointStack } from '../../lib/model-endpoint-stack';
import { apiGatewayEvent, lambdaContext } from '../support/api-gateway-events';
import { DEMO_MODELS } from '../support/demo-models';
import { buildCheckedStack } from './synth';

// The lambda-image backend's Docker build context as synth stages it for `cdk deploy`. No Docker engine runs here,
// so the image itself is never built: this checks what can be checked without one, namely that every file the
// Dockerfile copies is in the context, and that the image's entry command (CMD handler.handler with the bundle in
// LAMBDA_TASK_ROOT and ONNX Runtime on NODE_PATH) runs from that layout and answers. ONNX Runtime comes from this
// machine's node_modules, as in the zip bundle's test: the context holds only the linux-arm64 binaries Lambda runs.
const REPOSITORY = path.join(__dirname, '..', '..');

let app: App;
let stack: ModelEndpointStack;
let context: string;
let environment: Record<string, string>;
let imageHash: string;

beforeAll(async () => {
  ({ app, stack } = await buildCheckedStack(
    { modelsDir: DEMO_MODELS, models: { penguins: { backend: 'lambda-image' } } },
    { bundling: true },
  ));
  const assembly = app.synth();
  const manifest = JSON.parse(
    fs.readFileSync(path.join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf8'),
  ) as { dockerImages: Record<string, { source: { directory: string } }> };
  const [[hash, image] = []] = Object.entries(manifest.dockerImages);
  if (image === undefined || hash === undefined) throw new Error('no container image asset was staged');
  imageHash = hash;
  context = path.join(assembly.directory, image.source.directory);
  const [fn] = Object.values(
    Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { PackageType: 'Image' } }),
  );
  environment = fn?.Properties.Environment.Variables as Record<string, string>;
}, 120_000);

afterAll(() => {
  fs.rmSync(app.outdir, { recursive: true, force: true });
});

/** The sources of the Dockerfile's COPY instructions, relative to the context. */
function copiedSources(dockerfile: string): string[] {
  return dockerfile
    .split('\n')
    .filter((line) => /^COPY\s/.test(line))
    .map((line) => line.trim().split(/\s+/)[1] ?? '');
}

function filesBelow(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

describe('lambda-image build context', () => {
  it('hashes to the same image on every synth of the same model, so an unchanged model is not rebuilt', async () => {
    const again = await buildCheckedStack(
      { modelsDir: DEMO_MODELS, models: { penguins: { backend: 'lambda-image' } } },
      { bundling: true },
    );
    const assembly = again.app.synth();
    try {
      const manifest = JSON.parse(
        fs.readFileSync(path.join(assembly.directory, `${again.stack.artifactId}.assets.json`), 'utf8'),
      ) as { dockerImages: Record<string, unknown> };
      expect(Object.keys(manifest.dockerImages)).toEqual([imageHash]);
    } finally {
      fs.rmSync(assembly.directory, { recursive: true, force: true });
    }
  });

  it('holds every file the Dockerfile copies, and nothing it would have to download', () => {
    const dockerfile = fs.readFileSync(path.join(context, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM public\.ecr\.aws\/lambda\/nodejs:24$/m);
    expect(dockerfile).not.toMatch(/^RUN\s/m);
    const sources = copiedSources(dockerfile);
    expect(sources).toEqual(['onnxruntime/', 'runtime/', 'model/']);
    for (const source of sources) expect(filesBelow(path.join(context, source)).length).toBeGreaterThan(0);
    expect(filesBelow(path.join(context, 'runtime')).sort()).toEqual(['handler.mjs', 'handler.mjs.map']);
    expect(filesBelow(path.join(context, 'model')).sort()).toEqual([DESCRIPTOR_FILE, 'model.onnx']);
    expect(dockerfile).toContain(`COPY model/ ${IMAGE_MODEL_DIR}/`);
    expect(dockerfile).toMatch(/^CMD \["handler\.handler"\]$/m);
  });

  it("carries only the linux-arm64 ONNX Runtime binaries, the same files as the zip functions' layer", () => {
    const files = filesBelow(path.join(context, 'onnxruntime'));
    expect(files.sort()).toEqual(stack.onnxRuntime.packageFiles.map((file) => file.target).sort());
    expect(files.filter((file) => file.endsWith('.node'))).toEqual([
      'onnxruntime-node/bin/napi-v6/linux/arm64/onnxruntime_binding.node',
    ]);
  });

  it('holds the model and its descriptor under the sha256 values the function pins', () => {
    const model = fs.readFileSync(path.join(context, 'model', 'model.onnx'));
    const descriptor = fs.readFileSync(path.join(context, 'model', DESCRIPTOR_FILE), 'utf8');
    expect(sha256Hex(model)).toBe(environment[ModelEnvironment.sha256]);
    expect(sha256Hex(descriptor)).toBe(environment[ModelEnvironment.descriptorSha256]);
    const parsed = parseModelDescriptor(descriptor, DESCRIPTOR_FILE);
    expect(parsed).toMatchObject({ name: 'penguins', version: '1', artifact: { sizeBytes: model.length } });
    expect(parsed.inputs.length).toBeGreaterThan(0);
    expect(environment[ModelEnvironment.modelPath]).toBe(`${IMAGE_MODEL_DIR}/model.onnx`);
  });

  it('runs the entry command from the staged layout and answers', async () => {
    // As the base image's runtime does: import LAMBDA_TASK_ROOT/handler.mjs (CMD handler.handler), then invoke it.
    const script = `
      const { handler } = await import(${JSON.stringify(pathToFileURL(path.join(context, 'runtime', 'handler.mjs')).href)});
      const answers = [];
      for (const event of JSON.parse(process.env.TEST_EVENTS)) answers.push(await handler(event, JSON.parse(process.env.TEST_CONTEXT)));
      process.stdout.write('ANSWERS' + JSON.stringify(answers) + '\\n');
    `;
    const scratch = fs.mkdtempSync(path.join(tmpdir(), 'lambda-image-'));
    const entry = path.join(scratch, 'entry.mjs');
    fs.writeFileSync(entry, script);
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [entry], {
        // An empty folder: nothing here for the runtime to find but what the image's variables point at.
        cwd: scratch,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          PATH: process.env.PATH,
          ...environment,
          // The image's /opt/model is the context's model/ folder here.
          [ModelEnvironment.modelPath]: path.join(context, 'model', 'model.onnx'),
          // An empty repository: a runtime that ignored MODEL_PATH would serve nothing from here.
          [ModelEnvironment.modelsDir]: scratch,
          NODE_PATH: path.join(REPOSITORY, 'node_modules'),
          AWS_REGION: 'eu-west-1',
          POWERTOOLS_DEV: 'false',
          POWERTOOLS_TRACE_ENABLED: 'false',
          AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
          TEST_EVENTS: JSON.stringify([
            apiGatewayEvent({ path: '/v2/health/live' }),
            apiGatewayEvent({ path: '/v2/models/penguins/ready' }),
            apiGatewayEvent({ path: '/v2/models/penguins' }),
            apiGatewayEvent({
              method: 'POST',
              path: '/v2/models/penguins/infer',
              body: { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [39.1, 18.7, 181, 3750] }] },
            }),
          ]),
          TEST_CONTEXT: JSON.stringify(lambdaContext),
        },
      });
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('ANSWERS'));
      const answers = JSON.parse(line?.slice('ANSWERS'.length) ?? '[]') as Array<{ statusCode: number; body: string }>;
      // The model the image's MODEL_PATH points at serves, described exactly as its pinned descriptor says.
      const descriptor = parseModelDescriptor(
        fs.readFileSync(path.join(context, 'model', DESCRIPTOR_FILE), 'utf8'),
        DESCRIPTOR_FILE,
      );
      const [live, ready, metadata, inference] = answers.map((answer) => [answer.statusCode, JSON.parse(answer.body)]);
      expect(live).toEqual([200, { live: true }]);
      expect(ready).toEqual([200, { name: 'penguins', ready: true }]);
      expect(metadata).toEqual([
        200,
        expect.objectContaining({ name: 'penguins', inputs: descriptor.inputs, outputs: descriptor.outputs }),
      ]);
      expect(inference[0]).toBe(200);
      expect(inference[1].outputs[0]).toEqual({ name: 'label', datatype: 'BYTES', shape: [1], data: ['Adelie'] });
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
});
