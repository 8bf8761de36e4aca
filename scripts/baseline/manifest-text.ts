import type { ModelManifest } from '../../contract/model-repository';

/**
 * model.json as people read it: two-space JSON, except that arrays of numbers stay on one line, and so does each
 * baseline distribution (an object of plain values and arrays of them). With one value per line, a baseline would
 * make the file tens of thousands of lines long for a model of a few hundred features; this way it is one line per
 * feature.
 */
export function manifestText(manifest: ModelManifest): string {
  return `${format(manifest, '', false)}\n`;
}

function format(value: unknown, indent: string, inArray: boolean): string {
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item === 'number')) return inline(value);
    const inner = `${indent}  `;
    return `[\n${value.map((item) => `${inner}${format(item, inner, true)}`).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    if (entries.length === 0) return '{}';
    if (inArray && entries.every(([, item]) => isFlat(item))) return inline(value);
    const inner = `${indent}  `;
    const lines = entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${format(item, inner, false)}`);
    return `{\n${lines.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** A plain value, or an array of plain values. */
function isFlat(value: unknown): boolean {
  const plain = (item: unknown): boolean => item === null || typeof item !== 'object';
  return plain(value) || (Array.isArray(value) && value.every(plain));
}

/** One line, with a space after each comma and colon as in the rest of the file. */
function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}: ${inline(item)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}
