/** Server and model metadata answers (`GET /v2`, `GET /v2/models/<name>[/versions/<v>]`). */
import type { Datatype, ModelSpec, TensorSpec } from './tensor';

export const SERVER_NAME = 'model-endpoint';

export interface ServerMetadata {
  readonly name: string;
  readonly version: string;
  readonly extensions: string[];
}

export interface TensorMetadata {
  readonly name: string;
  readonly datatype: Datatype;
  /** -1 marks a variable-size dimension. */
  readonly shape: number[];
}

export interface ModelMetadata {
  readonly name: string;
  readonly versions: string[];
  readonly platform: 'onnxruntime_onnx';
  readonly inputs: TensorMetadata[];
  readonly outputs: TensorMetadata[];
}

/**
 * The protocol defines no standard extensions; of Triton's, this server implements binary tensor data, under
 * Triton's name so that clients which check for it (tritonclient, KServe's) find it. The v1 `:predict` convenience
 * is not a protocol extension.
 */
export function serverMetadata(version: string): ServerMetadata {
  return { name: SERVER_NAME, version, extensions: ['binary_tensor_data'] };
}

/** `platform` uses Triton's name for ONNX Runtime models, which Open Inference Protocol clients already know. */
export function modelMetadata(model: ModelSpec, versions: readonly string[]): ModelMetadata {
  return {
    name: model.name,
    versions: [...versions],
    platform: 'onnxruntime_onnx',
    inputs: model.inputs.map(tensorMetadata),
    outputs: model.outputs.map(tensorMetadata),
  };
}

function tensorMetadata(spec: TensorSpec): TensorMetadata {
  return { name: spec.name, datatype: spec.datatype, shape: [...spec.shape] };
}
