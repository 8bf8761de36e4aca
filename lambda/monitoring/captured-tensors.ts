/**
 * The tensors of a captured request and of its answer (contract/capture.ts CapturedBody), decoded by the protocol's
 * own decoders, so a capture is read exactly as the server read the request: JSON v2 bodies, binary tensor data
 * bodies (bytes after a JSON header), and v1 `{"instances": ...}` / `{"predictions": ...}` bodies.
 */
import type { CapturedBody } from '../../contract/capture';
import { MAX_TENSOR_RANK } from '../../contract/limits';
import { splitBinaryBody } from '../protocol/binary-tensor-data';
import { decodeInferRequest } from '../protocol/infer-request';
import { describe, isJsonObject } from '../protocol/json';
import type { ModelSpec, Tensor } from '../protocol/tensor';
import { decodeTensorData } from '../protocol/tensor-data';
import { decodePredictRequest } from '../protocol/v1-predict';

/** The request's input tensors, in the model's input order; throws an Error saying why a body cannot be read. */
export function decodeCapturedRequest(model: ModelSpec, body: CapturedBody): Tensor[] {
  const { json, binaryData } = openBody(body);
  if (isJsonObject(json) && json.instances !== undefined && json.inputs === undefined) {
    return decodePredictRequest(json, model).inputs;
  }
  return decodeInferRequest(json, model, binaryData === undefined ? {} : { binaryData }).inputs;
}

/**
 * The answer's output tensors (only those the request asked for). An answer's outputs travel in the same wire form
 * as a request's inputs, so they are decoded as the inputs of a model whose inputs are the outputs it returned.
 */
export function decodeCapturedResponse(model: ModelSpec, body: CapturedBody): Tensor[] {
  const { json, binaryData } = openBody(body);
  if (!isJsonObject(json)) throw new Error(`the response must be a JSON object, got ${describe(json)}`);
  if (Array.isArray(json.predictions)) return decodePredictions(model, json.predictions);
  if (!Array.isArray(json.outputs)) throw new Error('the response has neither "outputs" nor "predictions"');
  const returned = new Set(json.outputs.map((output: unknown) => (isJsonObject(output) ? output.name : undefined)));
  const outputsAsInputs: ModelSpec = {
    name: model.name,
    version: model.version,
    inputs: model.outputs.filter((spec) => returned.has(spec.name)),
    outputs: [],
  };
  return decodeInferRequest({ inputs: json.outputs }, outputsAsInputs, binaryData === undefined ? {} : { binaryData })
    .inputs;
}

function openBody(body: CapturedBody): { readonly json: unknown; readonly binaryData?: Uint8Array } {
  if (body.contentType === 'application/json') return { json: body.json };
  const bytes = Buffer.from(body.base64, 'base64');
  const { header, binary } = splitBinaryBody(bytes, String(body.headerLength));
  return { json: JSON.parse(Buffer.from(header).toString('utf8')) as unknown, binaryData: binary };
}

/** v1 predictions: one row per instance, the output's row or `{output: row}` when the model has several outputs. */
function decodePredictions(model: ModelSpec, predictions: readonly unknown[]): Tensor[] {
  const single = model.outputs.length === 1;
  return model.outputs.flatMap((spec) => {
    const rows = predictions.map((prediction) =>
      single ? prediction : isJsonObject(prediction) ? prediction[spec.name] : undefined,
    );
    if (rows.some((row) => row === undefined)) return [];
    const shape = [rows.length];
    let row: unknown = rows[0];
    while (Array.isArray(row) && shape.length < MAX_TENSOR_RANK) {
      shape.push(row.length);
      row = row[0];
    }
    return [
      {
        name: spec.name,
        datatype: spec.datatype,
        shape,
        data: decodeTensorData(spec.name, spec.datatype, shape, rows),
      },
    ];
  });
}
