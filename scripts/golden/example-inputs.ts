import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { GoldenRequest, WireTensor } from '../../contract/golden-set';
import type { ModelManifest } from '../../contract/model-repository';
import type { ModelSpec } from '../../lambda/protocol/tensor';
import type { NamedRequest } from './golden-recorder';

/**
 * The requests of a user's file of example inputs: a JSON array of v2 inference request bodies, JSON lines (one body
 * per line), or, for a model whose model.json names its `features`, a CSV file with a header row holding those
 * columns (one request of one row per line). Each case is named after its place in the file (`inputs.jsonl line 3`),
 * so a failed gate points at the example to look at.
 */
export function requestsFromFile(file: string, spec: ModelSpec, manifest: ModelManifest | undefined): NamedRequest[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read --inputs ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  const requests =
    extname(file).toLowerCase() === '.csv' ? csvRequests(text, file, spec, manifest) : jsonRequests(text, file);
  if (requests.length === 0) throw new Error(`--inputs ${file} holds no requests`);
  return requests;
}

function jsonRequests(text: string, file: string): NamedRequest[] {
  const name = basename(file);
  if (text.trimStart().startsWith('[')) {
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch (error) {
      throw new Error(
        `${file} is not a JSON array (${(error as Error).message}); give a JSON array or JSON lines of v2 request bodies`,
      );
    }
    return (items as unknown[]).map((item, index) => toRequest(item, `${name} item ${index + 1}`));
  }
  return text.split('\n').flatMap((line, index) => {
    if (line.trim() === '') return [];
    const where = `${name} line ${index + 1}`;
    let item: unknown;
    try {
      item = JSON.parse(line);
    } catch (error) {
      throw new Error(`${where} is not JSON (${(error as Error).message}); each line must be one v2 request body`);
    }
    return [toRequest(item, where)];
  });
}

/** Keeps what a golden request holds (inputs, requested outputs) with nested `data` made flat, row-major. */
function toRequest(item: unknown, where: string): NamedRequest {
  const body = item as { inputs?: unknown; outputs?: unknown } | null;
  if (typeof body !== 'object' || body === null || !Array.isArray(body.inputs)) {
    throw new Error(
      `${where} is not a v2 request body: it needs an "inputs" array, as in {"inputs": [{"name", "datatype", "shape", "data"}]}`,
    );
  }
  const inputs = body.inputs.map((input: unknown, index) => {
    const tensor = input as Partial<WireTensor> | null;
    if (typeof tensor !== 'object' || tensor === null || !Array.isArray(tensor.data)) {
      throw new Error(`${where}: inputs[${index}] needs "data" as a JSON array (binary data cannot be recorded)`);
    }
    return { ...tensor, data: (tensor.data as unknown[]).flat(Number.POSITIVE_INFINITY) } as WireTensor;
  });
  const outputs = Array.isArray(body.outputs)
    ? { outputs: (body.outputs as { name: string }[]).map((output) => ({ name: output?.name })) }
    : {};
  const request: GoldenRequest = { inputs, ...outputs };
  return { name: where, request };
}

function csvRequests(text: string, file: string, spec: ModelSpec, manifest: ModelManifest | undefined): NamedRequest[] {
  const features = manifest?.features;
  if (features === undefined) {
    throw new Error(
      `a CSV file needs the model's model.json to name its "features" (the columns, in order); give a JSON lines file of v2 request bodies instead`,
    );
  }
  if (spec.inputs.length !== 1) {
    throw new Error(
      `a CSV file fills one input, but the model has ${spec.inputs.length}; give a JSON lines file of v2 request bodies instead`,
    );
  }
  const input = spec.inputs[0];
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '');
  const columns = features.map((feature) => header.indexOf(feature));
  const missing = features.filter((_, index) => columns[index] < 0);
  if (missing.length > 0) {
    throw new Error(
      `${file}'s header lacks the model's feature column(s) ${missing.join(', ')} (from model.json "features")`,
    );
  }
  const name = basename(file);
  return lines.slice(1).flatMap((line, index) => {
    if (line.trim() === '') return [];
    const where = `${name} row ${index + 1}`;
    const cells = splitCsvLine(line);
    const data = columns.map((column, feature) => {
      const value = Number(cells[column]);
      if (cells[column] === undefined || cells[column] === '' || !Number.isFinite(value)) {
        throw new Error(
          `${where}: column ${features[feature]} holds ${JSON.stringify(cells[column] ?? '')}, not a number`,
        );
      }
      return value;
    });
    const request: GoldenRequest = {
      inputs: [{ name: input.name, datatype: input.datatype, shape: [1, data.length], data }],
    };
    return [{ name: where, request }];
  });
}

/** Comma-separated cells, trimmed, with surrounding double quotes removed (no embedded commas in numeric data). */
function splitCsvLine(line: string): string[] {
  return line.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
}
