import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  defaultOnnxRuntimeNodeDir,
  type OnnxRuntimeFile,
  type PrunedOnnxRuntime,
  prunedOnnxRuntime,
} from '../onnx-runtime-files';
import { propError } from './prop-error';

export type { OnnxRuntimeFile };

export interface OnnxRuntimeLayerProps {
  /** Folder of the installed `onnxruntime-node` package. @default - resolved from this app's node_modules */
  readonly onnxRuntimeNodeDir?: string;
  /** CPU architecture whose binaries the layer holds; the functions using it must match. @default lambda.Architecture.ARM_64 */
  readonly architecture?: lambda.Architecture;
  /** Runtimes the layer declares itself compatible with. @default [lambda.Runtime.NODEJS_24_X] */
  readonly compatibleRuntimes?: readonly lambda.Runtime[];
}

/**
 * ONNX Runtime for Node.js as a Lambda layer (`/opt/nodejs/node_modules/onnxruntime-node`), copied from
 * node_modules at synth with only the one Linux architecture's native binaries. The npm package ships every
 * platform (about 300 MB, over Lambda's 250 MB limit); linux-arm64 alone is about 25 MB. No network, no Docker.
 *
 * The asset hash is the ONNX Runtime version plus the architecture, so the layer is rebuilt and republished only
 * when one of them changes, not on every `node_modules` reinstall.
 *
 * The version comes from package.json, which pins onnxruntime-node 1.30.0 and must stay at 1.30 or later: older
 * releases crashed on Lambda's arm64 (Graviton), so synth refuses them. On Lambda arm64 ONNX Runtime still prints
 * a few plain-text stderr lines at cold start that no log level reaches: cpuinfo, a native library, reports it
 * cannot read /sys/devices/system/cpu (Lambda hides it) before ONNX Runtime's logger exists. They are harmless;
 * the runtime's own ONNX Runtime logging is set to errors only (lambda/model/onnx-runtime.ts, onnx-model.ts).
 */
export class OnnxRuntimeLayer extends Construct {
  public readonly layer: lambda.LayerVersion;
  /** The `onnxruntime-node` version inside the layer. */
  public readonly onnxRuntimeVersion: string;
  public readonly architecture: lambda.Architecture;
  /** Size of the layer's files once Lambda unzips them, known at synth before any bundling. */
  public readonly unzippedSizeBytes: number;
  /** Paths inside the layer, relative to its root (`nodejs/node_modules/...`). */
  public readonly files: readonly string[];
  /**
   * The same pruned files with their sources, targets relative to a `node_modules` folder: a container image
   * (backend lambda-image) copies exactly what the layer holds.
   */
  public readonly packageFiles: readonly OnnxRuntimeFile[];

  constructor(scope: Construct, id: string, props: OnnxRuntimeLayerProps = {}) {
    super(scope, id);
    this.architecture = props.architecture ?? lambda.Architecture.ARM_64;
    const nodeDir = props.onnxRuntimeNodeDir ?? defaultOnnxRuntimeNodeDir();
    const cpu = this.architecture === lambda.Architecture.ARM_64 ? 'arm64' : 'x64';
    let pruned: PrunedOnnxRuntime;
    try {
      pruned = prunedOnnxRuntime(nodeDir, cpu);
    } catch (error) {
      throw propError(this, (error as Error).message);
    }
    this.onnxRuntimeVersion = pruned.version;
    const layerFiles = pruned.files;
    this.packageFiles = layerFiles;
    this.files = layerFiles.map((file) => path.posix.join('nodejs/node_modules', file.target));
    this.unzippedSizeBytes = pruned.sizeBytes;

    this.layer = new lambda.LayerVersion(this, 'Layer', {
      description: `onnxruntime-node ${pruned.version} (onnxruntime-common ${pruned.commonVersion}), linux-${cpu} binaries only`,
      compatibleArchitectures: [this.architecture],
      compatibleRuntimes: [...(props.compatibleRuntimes ?? [lambda.Runtime.NODEJS_24_X])],
      code: lambda.Code.fromAsset(nodeDir, {
        assetHash: `onnxruntime-node@${pruned.version}+onnxruntime-common@${pruned.commonVersion}+linux-${cpu}`,
        assetHashType: AssetHashType.CUSTOM,
        bundling: {
          // Never pulled: the local copy below always succeeds. The image is only required by the type.
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/busybox:latest'),
          local: {
            tryBundle(outputDir: string): boolean {
              for (const file of layerFiles) {
                const target = path.join(outputDir, 'nodejs', 'node_modules', file.target);
                fs.mkdirSync(path.dirname(target), { recursive: true });
                fs.copyFileSync(file.source, target);
              }
              return true;
            },
          },
        },
      }),
    });
  }
}
