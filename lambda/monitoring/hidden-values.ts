/**
 * Values a capture policy kept out of a record (contract/capture.ts CapturePolicy): a dropped field's values are
 * null, a hashed one's are a hex string where a number belongs. The protocol's decoder rightly refuses both, so
 * they are replaced by a placeholder it accepts and their positions kept, for the drift statistics to leave out:
 * a hidden feature has no drift to report, and must not take the record's other features down with it.
 */
import { isJsonObject } from '../protocol/json';

/** The flat (row-major) positions of hidden elements, per tensor name. */
export type HiddenPositions = ReadonlyMap<string, ReadonlySet<number>>;

// Strings that are values in a numeric tensor's JSON data: the non-finite floats and 64-bit integers as text.
const NUMERIC_TEXT = /^(NaN|-?Infinity|-?[0-9]+)$/;

/**
 * A copy of `json` whose tensors under `key` ("inputs" or "outputs") hold a placeholder (0, false or "") in place
 * of each hidden element, and where those were. A body without hidden elements comes back as it is.
 */
export function withoutHiddenValues(
  json: unknown,
  key: 'inputs' | 'outputs',
): { json: unknown; hidden: HiddenPositions } {
  const hidden = new Map<string, Set<number>>();
  if (!isJsonObject(json) || !Array.isArray(json[key])) return { json, hidden };
  const tensors = (json[key] as unknown[]).map((tensor) => {
    if (!isJsonObject(tensor) || typeof tensor.name !== 'string' || !Array.isArray(tensor.data)) return tensor;
    const datatype = tensor.datatype;
    const placeholder = datatype === 'BYTES' ? '' : datatype === 'BOOL' ? false : 0;
    const positions = new Set<number>();
    let index = 0;
    const visit = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(visit);
      const position = index++;
      const isHidden =
        value === null || (datatype !== 'BYTES' && typeof value === 'string' && !NUMERIC_TEXT.test(value));
      if (!isHidden) return value;
      positions.add(position);
      return placeholder;
    };
    const data = visit(tensor.data);
    if (positions.size === 0) return tensor;
    hidden.set(tensor.name, positions);
    return { ...tensor, data };
  });
  return hidden.size === 0 ? { json, hidden } : { json: { ...json, [key]: tensors }, hidden };
}
