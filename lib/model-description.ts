import * as path from 'node:path';
import {
  buildModelDescriptor,
  type ModelDescriptor,
  serializeModelDescriptor,
  sha256Hex,
} from '../contract/model-descriptor';
import { MANIFEST_FILE, type ModelManifest, readModelManifest } from '../contract/model-repository';
import type { ModelSpec } from '../contract/onnx-model-spec';
import { readRegularFileSync } from '../contract/regular-file';

/** A model version's file, pinned: its sha256 and size, and its descriptor as bytes and their sha256. */
export interface ModelDescription {
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly descriptor: ModelDescriptor;
  /** The descriptor's canonical bytes, as uploaded or baked into an image. */
  readonly descriptorJson: string;
  readonly descriptorSha256: string;
}

/**
 * Pins one model file and builds its descriptor from the spec its ONNX Runtime session reported (checkModelsToDeploy)
 * and the model.json beside it, if any. What synth uploads and what `npm run sagemaker-container` serves are built
 * here, so the two cannot differ. Throws the manifest's own error for a broken model.json.
 */
export function describeModel(model: { readonly modelPath: string; readonly spec: ModelSpec }): ModelDescription {
  const bytes = readRegularFileSync(model.modelPath);
  const sha256 = sha256Hex(bytes);
  const descriptor = buildModelDescriptor(
    model.spec,
    { sha256, sizeBytes: bytes.length },
    manifestBeside(model.modelPath),
  );
  const descriptorJson = serializeModelDescriptor(descriptor);
  return { sha256, sizeBytes: bytes.length, descriptor, descriptorJson, descriptorSha256: sha256Hex(descriptorJson) };
}

function manifestBeside(modelPath: string): ModelManifest {
  try {
    return readModelManifest(path.join(path.dirname(modelPath), MANIFEST_FILE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}
