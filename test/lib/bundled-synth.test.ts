import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, AssetHashType, DockerImage, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import {
  directorySizeBytes,
  InferenceFunction,
  LAMBDA_UNZIPPED_LIMIT_BYTES,
} from '../../lib/constructs/inference-function';
import type { ModelEndpointStack } from '../../lib/model-endpoint-stack';
import { withoutBundlingProgress } from '../support/bundling-progress';
import { FIXTURE_GOLDEN_SHA256, repositoryWithGoldenSet } from './golden-repository';
import { buildStack, fixtureSha256 } from './synth';

// The one test file that bundles for real: esbuild for each function and the layer copy from node_modules.
// alpha has a golden set, so its pre-traffic hook is bundled too.
const goldenRepository = repositoryWithGoldenSet();
let app: App;
let stack: ModelEndpointStack;
beforeAll(() => {
  ({ app, stack } = buildStack({ modelsDir: goldenRepository }, { bundling: true }));
  app.synth();
});
// The assembly holds a 26 MB layer copy; leave no temp folders behind.
afterAll(() => {
  fs.rmSync(app.outdir, { recursive: true, force: true });
  fs.rmSync(goldenRepository, { recursive: true, force: true });
});

function stagedDir(scope: Construct): string {
  const asset = scope.node.findChild('Code');
  if (!(asset instanceof Asset)) throw new Error(`${scope.node.path} has no Code asset`);
  return path.resolve(app.outdir, asset.assetPath);
}

function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(prefix, entry.name);
    return entry.isDirectory() ? listFiles(path.join(dir, entry.name), relative) : [relative];
  });
}

describe('full synth with bundling', () => {
  it('builds a layer that holds ONNX Runtime with only the linux-arm64 binaries', () => {
    const files = listFiles(stagedDir(stack.onnxRuntime.layer));
    const natives = files.filter((file) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(file));
    expect(natives.sort()).toEqual([
      'nodejs/node_modules/onnxruntime-node/bin/napi-v6/linux/arm64/libonnxruntime.so.1',
      'nodejs/node_modules/onnxruntime-node/bin/napi-v6/linux/arm64/onnxruntime_binding.node',
    ]);
    expect(files.filter((file) => /darwin|win32|x64/.test(file))).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining([
        'nodejs/node_modules/onnxruntime-node/package.json',
        'nodejs/node_modules/onnxruntime-node/dist/index.js',
        'nodejs/node_modules/onnxruntime-common/package.json',
        'nodejs/node_modules/onnxruntime-common/dist/cjs/index.js',
      ]),
    );
    expect(files.sort()).toEqual([...stack.onnxRuntime.files].sort());
  });

  it('bundles each handler as a minified ES module with a source map, leaving ONNX Runtime and the AWS SDK to the runtime', () => {
    for (const fn of stack.models) {
      const dir = stagedDir(fn.function);
      expect(listFiles(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      const code = fs.readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      // ONNX Runtime comes from the layer through `require`, which honours Lambda's NODE_PATH.
      expect(code.startsWith("import { createRequire } from 'node:module'; const require = createRequire(")).toBe(true);
      expect(code).toMatch(/\("onnxruntime-node"\)/);
      expect(code).not.toMatch(/from\s*"onnxruntime-node"/);
      // The model is read with the runtime's own signed GET: no S3 client is loaded at all, and no AWS SDK package is
      // imported at init (an ES import would load it before the handler runs a line).
      expect(code).not.toMatch(/"@aws-sdk\/client-s3"/);
      expect(code).not.toMatch(/from\s*"@aws-sdk\//);
      expect(code).toContain('//# sourceMappingURL=index.mjs.map');
    }
  });

  it('bundles the pre-traffic hook as a minified ES module with a source map', () => {
    const hooks = stack.models.flatMap((model) => model.rollout?.preTrafficHook ?? []);
    expect(hooks).toHaveLength(1);
    for (const hook of hooks) {
      const dir = stagedDir(hook);
      expect(listFiles(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      expect(fs.readFileSync(path.join(dir, 'index.mjs'), 'utf8')).toMatch(/export\s*\{[^}]*handler/);
    }
  });

  it('bundles no worker-thread code into the handler: Lambda runs the model on the main thread', () => {
    for (const fn of stack.models) {
      const dir = stagedDir(fn.function);
      const map = JSON.parse(fs.readFileSync(path.join(dir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
      const runtimeSources = map.sources
        .filter((source) => /\/lambda\//.test(source))
        .map((source) => path.basename(source));
      expect(runtimeSources).toEqual(
        expect.arrayContaining(['handler.mts', 'onnx-model.ts', 'sagemaker-forwarder.ts']),
      );
      for (const workerFile of ['worker-model.ts', 'worker-pool.ts', 'onnx-worker.ts', 'placements.ts']) {
        expect(runtimeSources).not.toContain(workerFile);
      }
      const code = fs.readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      expect(code).not.toMatch(/worker_threads/);
      // The forwarder's SDK client is the runtime's own copy, required only by a function that forwards.
      expect(code).toMatch(/\("@aws-sdk\/client-sagemaker-runtime"\)/);
      expect(code).not.toMatch(/from\s*"@aws-sdk\/client-sagemaker-runtime"/);
    }
  });

  it('stages each model, its descriptor and its golden set under their content-addressed keys for the upload', () => {
    const deployment = stack.modelStore.deployment;
    if (deployment === undefined) throw new Error('no upload');
    const staged = deployment.node
      .findAll()
      .filter((child): child is Asset => child instanceof Asset)
      .map((asset) => path.resolve(app.outdir, asset.assetPath))
      // The AWS CLI layer of the upload handler is a prebuilt zip; the model sources are folders.
      .filter((staged) => fs.statSync(staged).isDirectory())
      .flatMap((staged) => listFiles(staged));
    expect(staged).toEqual(
      expect.arrayContaining([
        `models/alpha/2/${fixtureSha256('alpha', '2')}.onnx`,
        `models/beta/1/${fixtureSha256('beta', '1')}.onnx`,
        stack.modelStore.artifactOf('alpha', '2').descriptorKey,
        stack.modelStore.artifactOf('beta', '1').descriptorKey,
        `models/alpha/2/${FIXTURE_GOLDEN_SHA256}.golden.json`,
      ]),
    );
    // Only alpha has a golden set.
    expect(staged.filter((file) => file.endsWith('.golden.json'))).toHaveLength(1);
  });

  it('keeps every function with its layers below the 250 MB unzipped limit', () => {
    const layerBytes = directorySizeBytes(stagedDir(stack.onnxRuntime.layer));
    expect(layerBytes).toBe(stack.onnxRuntime.unzippedSizeBytes);
    for (const fn of stack.models) {
      const total = directorySizeBytes(stagedDir(fn.function)) + layerBytes;
      expect(total).toBeLessThan(LAMBDA_UNZIPPED_LIMIT_BYTES);
    }
  });

  it('fails synth, naming the parts, when code plus layers exceed 250 MB', () => {
    const bigApp = new App();
    const bigStack = new Stack(bigApp, 'TooBig');
    withoutBundlingProgress(() => {
      const layer = new lambda.LayerVersion(bigStack, 'Big', {
        code: lambda.Code.fromAsset(__dirname, {
          assetHash: 'sparse-260-mib',
          assetHashType: AssetHashType.CUSTOM,
          bundling: {
            image: DockerImage.fromRegistry('unused'),
            local: {
              tryBundle(outputDir: string): boolean {
                // A sparse file: 260 MiB by size, no disk writes.
                fs.writeFileSync(path.join(outputDir, 'big.bin'), '');
                fs.truncateSync(path.join(outputDir, 'big.bin'), 260 * 1024 * 1024);
                return true;
              },
            },
          },
        }),
      });
      new InferenceFunction(bigStack, 'Model', {
        modelName: 'big',
        modelVersion: '1',
        modelBucket: new s3.Bucket(bigStack, 'Bucket'),
        modelKey: 'models/big/1/x.onnx',
        modelSha256: 'a'.repeat(64),
        modelSizeBytes: 1024,
        descriptorKey: 'models/big/1/y.json',
        descriptorSha256: 'b'.repeat(64),
        layers: [layer],
      });
    });
    try {
      expect(() => bigApp.synth()).toThrow(
        /model big: code plus layers unzip to 26\d\.\d MB .* over Lambda's 250 MB limit/,
      );
    } finally {
      fs.rmSync(bigApp.outdir, { recursive: true, force: true });
    }
  });
});
