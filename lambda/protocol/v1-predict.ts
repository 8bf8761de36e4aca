/**
 * KServe v1 / TensorFlow Serving style convenience for humans with curl: `{"instances": [row, ...]}` in,
 * `{"predictions": [row, ...]}` out. Only single-input models fit this row format; the request is rewritten as a v2
 * request so that one path does all validation.
 */
import { MAX_TENSOR_RANK } from '../../contract/limits';
import { BadRequestError } from './errors';
import { decodeInferRequest, type InferRequest } from './infer-request';
import { describe, isJsonObject } from './json';
import type { ModelSpec, Tensor } from './tensor';
import { formatShape } from './tensor-data';
import { type JsonNested, toJsonData, toRows } from './tensor-json';

export interface PredictResponse {
  /** One per instance: the output's row, or `{outputName: row}` when the model has several outputs. */
  readonly predictions: (JsonNested | Record<string, JsonNested>)[];
}

/** What a :predict body is, for messages about a body that is not one. */
export const PREDICT_REQUEST_BODY = 'a JSON object with an "instances" array, one row per instance';

export function decodePredictRequest(body: unknown, model: ModelSpec): InferRequest {
  const [input, ...others] = model.inputs;
  if (input === undefined || others.length > 0) {
    throw new BadRequestError(
      `model "${model.name}" has ${model.inputs.length} inputs (${model.inputs.map((spec) => `"${spec.name}"`).join(', ')}); ` +
        `:predict serves single-input models only, use POST /v2/models/${model.name}/infer`,
    );
  }
  if (!isJsonObject(body)) {
    throw new BadRequestError(
      `the body must be ${PREDICT_REQUEST_BODY} ({"instances": [row, ...]}), got ${describe(body)}`,
    );
  }
  const instances = body.instances;
  if (!Array.isArray(instances) || instances.length === 0) {
    // KServe v1 also names a columnar "inputs" form; for a single-input model it says nothing "instances" cannot.
    const columnar =
      instances === undefined && body.inputs !== undefined ? ' ("inputs", the columnar form, is not supported)' : '';
    throw new BadRequestError(
      `the body must be ${PREDICT_REQUEST_BODY} with at least one row${columnar}, got "instances" as ${describe(instances)}`,
    );
  }
  // The first row fixes the row shape; decodeInferRequest then checks every other row against it and the model.
  // The walk stops past the deepest shape a request may have, so instances nested without end cost nothing.
  const shape = [instances.length];
  let row: unknown = instances[0];
  while (Array.isArray(row)) {
    if (shape.length === MAX_TENSOR_RANK) {
      throw new BadRequestError(
        `"instances" nest deeper than ${MAX_TENSOR_RANK} levels (the most dimensions this server accepts); ` +
          `model "${model.name}" expects rows of ${input.datatype} ${input.anyRank === true ? 'of any shape' : formatShape(input.shape.slice(1))}`,
      );
    }
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
