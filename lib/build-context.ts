import * as fs from 'node:fs';
import * as path from 'node:path';
import type { OnnxRuntimeFile } from './onnx-runtime-files';

/**
 * A hard link where the file system allows it, else a copy: a model of gigabytes, or ONNX Runtime's binaries, are
 * then staged into a Docker build context without being copied once more.
 */
export function linkOrCopy(source: string, target: string): void {
  try {
    fs.linkSync(source, target);
  } catch {
    fs.copyFileSync(source, target);
  }
}

/** Stages the pruned onnxruntime-node files below `nodeModulesDir`, as an image's node_modules holds them. */
export function stageOnnxRuntime(files: readonly OnnxRuntimeFile[], nodeModulesDir: string): void {
  for (const file of files) {
    const target = path.join(nodeModulesDir, file.target);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    linkOrCopy(file.source, target);
  }
}
