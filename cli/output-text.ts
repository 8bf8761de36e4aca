/** Terminal output that fits 80 columns. */
export const COLUMNS = 80;

/** The text cut to `width` characters, with "…" where it was cut. */
export function clip(text: string, width = COLUMNS): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Values joined by ", " and cut to fit `width` characters, saying how many there are when cut. */
export function listFitting(values: ArrayLike<unknown>, width: number): string {
  const parts: string[] = [];
  const all = Array.from(values, formatValue);
  const suffix = `, … (${all.length} values)`;
  for (const [i, part] of all.entries()) {
    const candidate = [...parts, part].join(', ');
    const rest = i === all.length - 1 ? '' : suffix;
    if (candidate.length + rest.length > width) return `${parts.join(', ')}${suffix}`;
    parts.push(part);
  }
  return parts.join(', ');
}

function formatValue(value: unknown): string {
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : value.toPrecision(4).replace(/\.?0+$/, '');
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

/** Bytes as KiB or MiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Text broken into lines of at most `width` characters at spaces, each after `indent`. */
export function wrap(text: string, indent = '', width = COLUMNS): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(indent + line);
  return lines;
}
