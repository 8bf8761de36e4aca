/** Encodes model outputs as an Open Inference Protocol inference response. */
import type { InferRequest } from './infer-request';
import type { ModelSpec, Tensor } from './tensor';
import { type JsonElement, toJsonData } from './tensor-json';

export interface InferResponseOutput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: number[];
  /** Flat, row-major. */
  readonly data: JsonElement[];
}

export interface InferResponse {
  readonly model_name: string;
  readonly model_version: string;
  readonly id?: string;
  readonly outputs: InferResponseOutput[];
}

/**
 * Returns the outputs the request asked for, in the request's output order. `outputs` may hold more tensors than were
 * asked for; a requested one missing from it is a server bug, so that is a plain Error (a 500), not a client error.
 */
export function encodeInferResponse(
  model: ModelSpec,
  request: InferRequest,
  outputs: readonly Tensor[],
): InferResponse {
  return {
    model_name: model.name,
    model_version: model.version,
    ...(request.id !== undefined && { id: request.id }),
    outputs: request.outputs.map((name) => {
      const tensor = outputs.find((output) => output.name === name);
      if (tensor === undefined) {
        throw new Error(`model "${model.name}" produced no output "${name}"`);
      }
      return { name, datatype: tensor.datatype, shape: [...tensor.shape], data: toJsonData(tensor) };
    }),
  };
}
