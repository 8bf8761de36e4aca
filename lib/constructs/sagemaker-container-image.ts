import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack, Stage } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import { Construct } from 'constructs';
import * as esbuild from 'esbuild';
import { ModelEnvironment } from '../../contract/environment';
import { DESCRIPTOR_FILE, type ModelDescriptor, serializeModelDescriptor } from '../../contract/model-descriptor';
import { linkOrCopy, stageOnnxRuntime } from '../build-context';
import { defaultOnnxRuntimeNodeDir, type PrunedOnnxRuntime, prunedOnnxRuntime } from '../onnx-runtime-files';
import { HANDLER_ESBUILD_OPTIONS } from './inference-function';
import { propError } from './prop-error';
import type { ContainerArchitecture } from './sagemaker-endpoint';

const PROJECT_ROOT = path.join(__dirname, '..', '..');
const DEFAULT_ENTRY = path.join(PROJECT_ROOT, 'lambda', 'sagemaker-server.ts');
const DOCKERFILE = path.join(PROJECT_ROOT, 'docker', 'sagemaker', 'Dockerfile');

/** Where the image holds the model (docker/sagemaker/Dockerfile copies model/ there); descriptor.json sits beside it. */
export const IMAGE_MODEL_PATH = '/opt/model/model.onnx';

/** The bundled entry point inside the build context's app/ folder, which the Dockerfile's ENTRYPOINT runs. */
export const IMAGE_ENTRY_FILE = 'sagemaker-server.mjs';

export interface SageMakerContainerImageProps {
  /** The model file the image serves (the version's model.onnx). */
  readonly modelFile: string;
  /** The model's descriptor, written beside the model as descriptor.json in its canonical bytes. */
  readonly descriptor: ModelDescriptor;
  /** CPU architecture of the image: x86_64 for serverless endpoints, the instance family's otherwise. @default 'x86_64' */
  readonly architecture?: ContainerArchitecture;
  /**
   * The container's entry point: a server that follows the SageMaker container contract (`serve` argument, port
   * 8080 or SAGEMAKER_BIND_TO_PORT, /ping, /invocations). Bundled as an ES module.
   * @default - lambda/sagemaker-server.ts of this project
   */
  readonly entry?: string;
  /** Folder of the installed `onnxruntime-node` package. @default - resolved from this app's node_modules */
  readonly onnxRuntimeNodeDir?: string;
}

/**
 * The SageMaker container image of one model, built by `cdk deploy` from docker/sagemaker/Dockerfile and pushed to
 * the bootstrap ECR repository. Synth stages its build context (no Docker needed): app/ the runtime bundled by
 * esbuild, node_modules/ onnxruntime-node pruned to the one Linux architecture, model/ the model and its
 * descriptor. The model is baked in rather than downloaded from S3 by SageMaker: the image digest then pins model
 * and runtime together, the container runs without network or S3 permissions, and `docker run <image> serve`
 * serves the model locally exactly as SageMaker starts it. The cost is one image layer per model version.
 */
export class SageMakerContainerImage extends Construct {
  public readonly asset: ecrAssets.DockerImageAsset;
  public readonly architecture: ContainerArchitecture;
  /** The staged build context (Dockerfile, app/, node_modules/, model/), before the asset copies it into cdk.out. */
  public readonly contextDir: string;
  /** Environment the container needs beyond the model's identity: where the model is. */
  public readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: SageMakerContainerImageProps) {
    super(scope, id);
    this.architecture = props.architecture ?? 'x86_64';
    const entry = props.entry ?? DEFAULT_ENTRY;
    if (!fs.existsSync(entry)) {
      throw propError(this, `entry (${entry}) does not exist: point it at the SageMaker container server file`);
    }
    if (!fs.existsSync(props.modelFile)) {
      throw propError(this, `modelFile (${props.modelFile}) does not exist: point it at the version's model.onnx`);
    }

    const outdir = Stage.of(this)?.outdir ?? path.join(PROJECT_ROOT, 'cdk.out');
    this.contextDir = path.join(outdir, 'sagemaker-build-context', this.node.addr);
    fs.rmSync(this.contextDir, { recursive: true, force: true });
    fs.mkdirSync(path.join(this.contextDir, 'model'), { recursive: true });
    fs.copyFileSync(DOCKERFILE, path.join(this.contextDir, 'Dockerfile'));
    fs.writeFileSync(path.join(this.contextDir, 'model', DESCRIPTOR_FILE), serializeModelDescriptor(props.descriptor));
    // Like NodejsFunction, skip the expensive part when this stack's assets are not bundled (unit tests, `cdk
    // synth` of another stack): the asset then only stands for the image in the template.
    if (Stack.of(this).bundlingRequired) {
      linkOrCopy(props.modelFile, path.join(this.contextDir, 'model', path.basename(IMAGE_MODEL_PATH)));
      bundleSageMakerServer(path.join(this.contextDir, 'app', IMAGE_ENTRY_FILE), entry);
      const nodeDir = props.onnxRuntimeNodeDir ?? defaultOnnxRuntimeNodeDir();
      let pruned: PrunedOnnxRuntime;
      try {
        pruned = prunedOnnxRuntime(nodeDir, this.architecture === 'arm64' ? 'arm64' : 'x64');
      } catch (error) {
        throw propError(this, (error as Error).message);
      }
      // The same files the Lambda layer holds, for the image's architecture.
      stageOnnxRuntime(pruned.files, path.join(this.contextDir, 'node_modules'));
    }

    this.asset = new ecrAssets.DockerImageAsset(this, 'Image', {
      directory: this.contextDir,
      platform: this.architecture === 'arm64' ? ecrAssets.Platform.LINUX_ARM64 : ecrAssets.Platform.LINUX_AMD64,
      displayName: `SageMaker image of model ${props.descriptor.name} version ${props.descriptor.version}`,
    });
    this.environment = { [ModelEnvironment.modelPath]: IMAGE_MODEL_PATH };
  }
}

/**
 * The SageMaker container's server as one ES module file: what the image runs, and what `npm run
 * sagemaker-container` and the tests start, so all of them run the same bundle.
 */
export function bundleSageMakerServer(outfile: string, entry: string = DEFAULT_ENTRY): void {
  esbuild.buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    // One ES module file, as the model functions' bundle: the server's worker threads run this same file
    // (lambda/sagemaker-server.ts). Its `require` banner lets the runtime require onnxruntime-node, which the image
    // holds in /opt/program/node_modules beside the bundle.
    ...HANDLER_ESBUILD_OPTIONS,
    // The image's node_modules holds it, with its native binaries; everything else, the AWS SDK included, is bundled.
    external: ['onnxruntime-node'],
    logLevel: 'warning',
  });
}
