/**
 * KServe v1 / TensorFlow Serving style convenience for humans with curl: `{"instances": [row, ...]}` in,
 * `{"predictions": [row, ...]}` out. Only single-input models fit this row format; the request is rewritten as a v2
 * request so that one path does all validation.
 */
import { BadRequestError } from './errors';
import { decodeInferRequest, type InferRequest } from './infer-request';
import { describe, isJsonObject } from './json';
import type { ModelSpec, Tensor } from './tensor';
import { type JsonNested, toJsonData, toRows } from './tensor-json';

export interface PredictResponse {
  /** One per instance: the output's row, or `{outputName: row}` when the model has several outputs. */
  readonly predictions: (JsonNested | Record<string, JsonNested>)[];
}

export function decodePredictRequest(body: unknown, model: ModelSpec): InferRequest {
  const [input, ...others] = model.inputs;
  if (input === undefined || others.length > 0) {
    throw new BadRequestError(
      `model "${model.name}" has ${model.inputs.length} inputs (${model.inputs.map((spec) => `"${spec.name}"`).join(', ')}); ` +
        `:predict serves single-input models only, use POST /v2/models/${model.name}/infer`,
    );
  }
  const instances = isJsonObject(body) ? body.instances : undefined;
  if (!Array.isArray(instances) || instances.length === 0) {
    throw new BadRequestError(
      `the request body must be {"instances": [row, ...]} with at least one row, got ${
        isJsonObject(body) ? `"instances" as ${describe(instances)}` : describe(body)
      }`,
    );
  }
  // The first row fixes the row shape; decodeInferRequest then checks every other row against it and the model.
  const shape = [instances.length];
  let row: unknown = instances[0];
  while (Array.isArray(row)) {
    shape.push(row.length);
    row = row[0];
  }
  return decodeInferRequest(
    { inputs: [{ name: input.name, shape, datatype: input.datatype, data: instances }] },
    model,
  );
}

export function encodePredictResponse(model: ModelSpec, outputs: readonly Tensor[]): PredictResponse {
  const named = model.outputs.map((spec) => {
    const tensor = outputs.find((output) => output.name === spec.name);
    if (tensor === undefined) throw new Error(`model "${model.name}" produced no output "${spec.name}"`);
    return { name: spec.name, rows: toRows(toJsonData(tensor), tensor.shape) };
  });
  const [first, ...rest] = named;
  if (first === undefined) return { predictions: [] };
  if (rest.length === 0) return { predictions: first.rows };
  const uneven = rest.find(({ rows }) => rows.length !== first.rows.length);
  if (uneven !== undefined) {
    throw new BadRequestError(
      `outputs "${first.name}" (${first.rows.length} rows) and "${uneven.name}" (${uneven.rows.length} rows) cannot be ` +
        `zipped into predictions; use POST /v2/models/${model.name}/infer`,
    );
  }
  return {
    predictions: first.rows.map((_, index) => Object.fromEntries(named.map(({ name, rows }) => [name, rows[index]]))),
  };
}
