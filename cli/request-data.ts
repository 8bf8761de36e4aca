/**
 * What `--data` may be: an inference request body (`{"inputs": [...]}`), a KServe v1 body (`{"instances": [...]}`),
 * or just rows (`[[39.1, 18.7, 181, 3750]]`, or one row as a flat array) for a model with one input. Given inline as
 * JSON or as a file holding it.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { InferRequestOf, InputTensor, JsonNested, ModelMetadata, ModelTypes } from '../client';

export function readDataArgument(data: string): unknown {
  const text = /^\s*[[{]/.test(data) ? data : readDataFile(data);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`--data is not valid JSON (${(error as Error).message})`);
  }
}

function readDataFile(file: string): string {
  if (!existsSync(file)) {
    throw new Error(`--data ${file}: no such file; give a file, or JSON inline such as '[[39.1, 18.7, 181, 3750]]'`);
  }
  return readFileSync(file, 'utf8');
}

/** The inference request the data stands for; rows need the model's metadata for its input's name and datatype. */
export function inferRequestOf(
  value: unknown,
  metadata: () => Promise<ModelMetadata>,
): Promise<InferRequestOf<ModelTypes>> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const body = value as { inputs?: unknown; instances?: unknown; outputs?: unknown };
    if (Array.isArray(body.inputs)) {
      const outputs = Array.isArray(body.outputs) ? body.outputs.map((o: { name: string }) => o.name) : undefined;
      return Promise.resolve({ ...(value as object), inputs: body.inputs as InputTensor[], outputs });
    }
    if (Array.isArray(body.instances)) return rowsRequest(body.instances, metadata);
  }
  if (Array.isArray(value)) return rowsRequest(value, metadata);
  throw new Error(
    '--data must be {"inputs": [...]} (a v2 inference request), {"instances": [...]} or an array of rows',
  );
}

async function rowsRequest(
  rows: readonly JsonNested[],
  metadata: () => Promise<ModelMetadata>,
): Promise<InferRequestOf<ModelTypes>> {
  const model = await metadata();
  if (model.inputs.length !== 1) {
    throw new Error(
      `model ${model.name} has ${model.inputs.length} inputs (${model.inputs.map((i) => i.name).join(', ')}): rows fit a ` +
        'single-input model only; give {"inputs": [...]} with one tensor per input',
    );
  }
  const [input] = model.inputs;
  let data = rows;
  let shape = shapeOf(data as JsonNested[]);
  // One row given flat: the input's rank is one more than the data's.
  if (shape.length === input.shape.length - 1) {
    data = [rows as JsonNested];
    shape = [1, ...shape];
  }
  return { inputs: [{ name: input.name, datatype: input.datatype, shape, data }] };
}

function shapeOf(data: JsonNested): number[] {
  const shape: number[] = [];
  let level: JsonNested = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}
