import * as fs from 'node:fs';
import * as path from 'node:path';
import { CAPTURE_FORMAT, type CaptureRecord, capturePrefix } from '../../contract/capture';
import { buildModelDescriptor, type ModelDescriptor, sha256Hex } from '../../contract/model-descriptor';
import { readModelManifest } from '../../contract/model-repository';
import type { LoadedModel } from '../../lambda/model/model-backend';
import { loadOnnxModel } from '../../lambda/model/onnx-model';
import { decodeInferRequest } from '../../lambda/protocol/infer-request';
import { encodeInferResponse } from '../../lambda/protocol/infer-response';
import type { Tensor, TensorData } from '../../lambda/protocol/tensor';
import { DEMO_MODELS, type DemoModelName } from './demo-models';

export interface DemoModel {
  /** The descriptor a deploy would pin for the demo, baseline included. */
  readonly descriptor: ModelDescriptor;
  readonly model: LoadedModel;
}

/** A demo model from test/fixtures with the descriptor built from its file and model.json, as synth builds it. */
export async function loadDemoModel(name: DemoModelName): Promise<DemoModel> {
  const folder = path.join(DEMO_MODELS, name, '1');
  const bytes = fs.readFileSync(path.join(folder, 'model.onnx'));
  const model = await loadOnnxModel(name, '1', bytes);
  const manifest = readModelManifest(path.join(folder, 'model.json'));
  const descriptor = buildModelDescriptor(model.spec, { sha256: sha256Hex(bytes), sizeBytes: bytes.length }, manifest);
  return { descriptor, model };
}

/**
 * One captured JSON inference per row, as the server would capture single-row requests: the request body a
 * client sends, and the answer the server's own decoder, model and encoder give for it.
 */
export async function capturedRecords(
  demo: DemoModel,
  rows: readonly (readonly number[])[],
  time = new Date(),
): Promise<CaptureRecord[]> {
  const { descriptor, model } = demo;
  const input = descriptor.inputs[0];
  if (input === undefined) throw new Error(`model ${descriptor.name} has no input`);
  const width = rows[0]?.length ?? 0;
  const batch: Tensor = {
    name: input.name,
    datatype: input.datatype,
    shape: [rows.length, width],
    data: Float32Array.from(rows.flat()),
  };
  const outputNames = descriptor.outputs.map((output) => output.name);
  const outputs = await model.run([batch], outputNames);
  return rows.map((row, index) => {
    const id = `${descriptor.name}-row-${index}`;
    const body = { id, inputs: [{ name: input.name, datatype: input.datatype, shape: [1, width], data: [...row] }] };
    const request = decodeInferRequest(body, descriptor);
    const response = encodeInferResponse(
      descriptor,
      request,
      outputs.map((output) => rowOf(output, index)),
    );
    return {
      format: CAPTURE_FORMAT,
      kind: 'inference',
      id,
      requestId: `request-${index}`,
      time: time.toISOString(),
      model: descriptor.name,
      version: descriptor.version,
      request: { contentType: 'application/json', json: body },
      response: { contentType: 'application/json', json: JSON.parse(JSON.stringify(response)) as unknown },
    };
  });
}

/** Row `index` of a batch output, as the model would have answered that row alone. */
function rowOf(tensor: Tensor, index: number): Tensor {
  const rows = tensor.shape[0] ?? 1;
  const size = tensor.data.length / rows;
  const data = tensor.data;
  const slice: TensorData = Array.isArray(data)
    ? data.slice(index * size, (index + 1) * size)
    : (data as Exclude<TensorData, readonly string[]>).slice(index * size, (index + 1) * size);
  return { ...tensor, shape: [1, ...tensor.shape.slice(1)], data: slice };
}

/**
 * Writes records to a local capture folder in the layout of contract/capture.ts, as `npm start -- --capture DIR`
 * does: one .jsonl file per model version and hour.
 */
export function writeCaptureFolder(dir: string, records: readonly CaptureRecord[], writer = 'test'): void {
  const lines = new Map<string, string[]>();
  for (const record of records) {
    const file = path.join(dir, capturePrefix(record.model, record.version, new Date(record.time)), `${writer}.jsonl`);
    const list = lines.get(file) ?? [];
    list.push(JSON.stringify(record));
    lines.set(file, list);
  }
  for (const [file, list] of lines) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, `${list.join('\n')}\n`);
  }
}
