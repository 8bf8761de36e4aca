import type { DescribedModel } from '../../lambda/monitoring/feature-values';
import { decodeInferRequest } from '../../lambda/protocol/infer-request';
import type { Tensor } from '../../lambda/protocol/tensor';

/**
 * Training rows from a user's file, as batches of the model's input tensors. Three forms are read:
 * - CSV whose header names the model's features (model.json "features"); other columns (a label, an id) are ignored;
 * - JSON lines of `{"<feature>": value, ...}` objects;
 * - JSON lines of Open Inference Protocol inference requests (`{"inputs": [...]}`), for any model.
 * Every batch goes through the server's own request decoder, so a row the server would refuse is refused here, with
 * the line it came from.
 */
export function readTrainingBatches(
  model: DescribedModel,
  text: string,
  fileName: string,
  batchRows: number,
): Tensor[][] {
  const firstLine = text.trimStart().split('\n', 1)[0] ?? '';
  if (firstLine.trim() === '') throw new Error(`${fileName} is empty; give at least one training row`);
  if (!firstLine.startsWith('{')) return featureBatches(model, csvRecords(text, fileName), fileName, batchRows);
  const lines = jsonLines(text, fileName);
  if (lines.every(({ value }) => value.inputs !== undefined)) {
    return lines.map(({ value, line }) => {
      try {
        return decodeInferRequest(value, model).inputs;
      } catch (error) {
        throw new Error(`${fileName} line ${line}: ${(error as Error).message}`);
      }
    });
  }
  return featureBatches(model, lines, fileName, batchRows);
}

interface SourceRecord {
  /** Line in the file, for messages. */
  readonly line: number;
  readonly value: Record<string, unknown>;
}

/** Rows of named features, batched into the model's feature tensor. */
function featureBatches(
  model: DescribedModel,
  records: readonly SourceRecord[],
  fileName: string,
  batchRows: number,
): Tensor[][] {
  const features = model.manifest.features ?? [];
  const [input, ...others] = model.inputs;
  if (features.length === 0 || input === undefined || others.length > 0 || input.shape.length !== 2) {
    throw new Error(
      `${fileName} holds rows of named values, which fit a model with one input of shape [batch, features] and ` +
        `"features" named in its model.json; model "${model.name}" has ${model.inputs.length} input(s) and ` +
        `${features.length} named features. Give JSON lines of inference requests ({"inputs": [...]}) instead`,
    );
  }
  const first = records[0];
  if (first === undefined) throw new Error(`${fileName} holds no rows; give at least one training row`);
  const missing = features.filter((feature) => !(feature in first.value));
  if (missing.length > 0) {
    throw new Error(
      `${fileName} has no column ${missing.map((name) => `"${name}"`).join(', ')}; model "${model.name}" needs ` +
        `${features.map((name) => `"${name}"`).join(', ')}, and the file has ${Object.keys(first.value)
          .map((name) => `"${name}"`)
          .join(', ')}`,
    );
  }
  const batches: Tensor[][] = [];
  for (let start = 0; start < records.length; start += batchRows) {
    const batch = records.slice(start, start + batchRows);
    const data = batch.flatMap(({ value, line }) =>
      features.map((feature) => {
        const cell = value[feature];
        if (cell === undefined) throw new Error(`${fileName} line ${line}: no value for "${feature}"`);
        // An empty CSV cell or a JSON null is a missing value: NaN, which the baseline counts apart from the bins.
        return cell === '' || cell === null
          ? 'NaN'
          : typeof cell === 'string'
            ? numberOf(cell, fileName, line, feature)
            : cell;
      }),
    );
    const body = {
      inputs: [{ name: input.name, datatype: input.datatype, shape: [batch.length, features.length], data }],
    };
    try {
      batches.push(decodeInferRequest(body, model).inputs);
    } catch (error) {
      const lines = `lines ${batch[0]?.line} to ${batch[batch.length - 1]?.line}`;
      throw new Error(`${fileName} ${lines}: ${(error as Error).message}`);
    }
  }
  return batches;
}

function numberOf(cell: string, fileName: string, line: number, feature: string): number {
  const value = Number(cell);
  if (cell.trim() === '' || Number.isNaN(value)) {
    throw new Error(`${fileName} line ${line}: "${feature}" is "${cell}", not a number`);
  }
  return value;
}

function jsonLines(text: string, fileName: string): SourceRecord[] {
  const records: SourceRecord[] = [];
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new Error(`${fileName} line ${index + 1} is not JSON (${(error as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error(`${fileName} line ${index + 1} must be a JSON object of feature values or an inference request`);
    }
    records.push({ line: index + 1, value: value as Record<string, unknown> });
  });
  return records;
}

/** RFC 4180 CSV: a header line of column names, then one row per line; quoted cells may hold commas and "". */
function csvRecords(text: string, fileName: string): SourceRecord[] {
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((name) => name.trim());
  const records: SourceRecord[] = [];
  lines.slice(1).forEach((raw, index) => {
    if (raw.trim() === '') return;
    const cells = splitCsvLine(raw);
    if (cells.length !== header.length) {
      throw new Error(
        `${fileName} line ${index + 2} has ${cells.length} cells, but the header names ${header.length} columns`,
      );
    }
    records.push({
      line: index + 2,
      value: Object.fromEntries(header.map((name, i) => [name, cells[i]?.trim() ?? ''])),
    });
  });
  return records;
}

function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      cells.push(cell);
      cell = '';
    } else cell += char;
  }
  cells.push(cell);
  return cells;
}
