import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BuildOptions } from 'esbuild';
import { DESCRIPTOR_FILE } from '../../contract/model-descriptor';
import { MODEL_FILE } from '../../contract/model-repository';
import { linkOrCopy, stageOnnxRuntime } from '../build-context';
import type { OnnxRuntimeFile } from './onnx-runtime-layer';

/** The Dockerfile of the lambda-image backend, kept in the repository. */
export const IMAGE_DOCKERFILE = path.join(__dirname, '..', '..', 'docker', 'lambda-image', 'Dockerfile');

/** Where the image holds the model; MODEL_PATH points here and the descriptor sits beside it. */
export const IMAGE_MODEL_DIR = '/opt/model';
export const IMAGE_MODEL_PATH = path.posix.join(IMAGE_MODEL_DIR, MODEL_FILE);

/** The entry file of the bundle inside `runtime/`; the Dockerfile's CMD is `handler.handler`. */
export const IMAGE_HANDLER_FILE = 'handler.mjs';

export interface ImageContextInput {
  /** Handler entry file to bundle (exports `handler`). */
  readonly entry: string;
  readonly modelPath: string;
  readonly descriptorJson: string;
  readonly onnxRuntimeFiles: readonly OnnxRuntimeFile[];
  /** esbuild options shared with the zip function's bundling (format, banner, target, ...). */
  readonly bundling: BuildOptions;
  /** Bundle the handler; false stages only the Dockerfile, model and descriptor (synth without bundling). */
  readonly bundle: boolean;
}

/**
 * Stages the Docker build context of one model's image in a fresh folder: the Dockerfile, `runtime/` (the handler
 * bundled with esbuild here, as NodejsFunction bundles it locally), `onnxruntime/` (the pruned onnxruntime-node),
 * `model/model.onnx` and `model/descriptor.json`. Everything the Dockerfile copies is built here, so `docker build`
 * needs neither network nor npm, and synth needs no Docker engine.
 */
export function stageImageContext(input: ImageContextInput): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-endpoint-image-'));
  fs.copyFileSync(IMAGE_DOCKERFILE, path.join(dir, 'Dockerfile'));
  const modelDir = path.join(dir, 'model');
  fs.mkdirSync(modelDir);
  linkOrCopy(input.modelPath, path.join(modelDir, MODEL_FILE));
  fs.writeFileSync(path.join(modelDir, DESCRIPTOR_FILE), input.descriptorJson);
  stageOnnxRuntime(input.onnxRuntimeFiles, path.join(dir, 'onnxruntime'));
  const runtimeDir = path.join(dir, 'runtime');
  fs.mkdirSync(runtimeDir);
  if (input.bundle) {
    // Loaded only when bundling: esbuild is a build-time dependency, as for NodejsFunction.
    const esbuild = require('esbuild') as typeof import('esbuild');
    esbuild.buildSync({
      ...input.bundling,
      entryPoints: [input.entry],
      outfile: path.join(runtimeDir, IMAGE_HANDLER_FILE),
      bundle: true,
      platform: 'node',
      // Only ONNX Runtime stays outside: it is a native module (onnxruntime/ in the image). The AWS SDK is bundled,
      // so the image does not depend on the SDK version its base image happens to ship.
      external: ['onnxruntime-node'],
      logLevel: 'warning',
    });
  }
  return dir;
}
