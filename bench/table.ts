import type { Summary } from './stats';

export interface Row {
  readonly part: string;
  readonly subject: string;
  readonly measure: string;
  readonly median: string;
  /** p25–p75 of the samples the median is taken over. */
  readonly spread: string;
  readonly n: string;
}

function format(value: number, digits: number): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A row for a summarized figure; `digits` decimals, `unit` appended to the measure's name. */
export function summaryRow(
  part: string,
  subject: string,
  measure: string,
  summary: Summary,
  unit: string,
  digits = 1,
): Row {
  return {
    part,
    subject,
    measure: unit === '' ? measure : `${measure} (${unit})`,
    median: format(summary.median, digits),
    spread: `${format(summary.p25, digits)}–${format(summary.p75, digits)}`,
    n: String(summary.n),
  };
}

export function textRow(part: string, subject: string, measure: string, value: string): Row {
  return { part, subject, measure, median: value, spread: '', n: '' };
}

const COLUMNS: Array<[keyof Row, string]> = [
  ['part', 'part'],
  ['subject', 'case'],
  ['measure', 'measure'],
  ['median', 'median'],
  ['spread', 'p25–p75'],
  ['n', 'n'],
];

/** One Markdown table, so the output pastes into an issue or a README as it is. */
export function renderTable(rows: readonly Row[]): string {
  const widths = COLUMNS.map(([key, title]) => Math.max(title.length, ...rows.map((row) => row[key].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, index) => (index >= 3 ? cell.padStart(widths[index]) : cell.padEnd(widths[index]))).join(' | ')} |`;
  return [
    line(COLUMNS.map(([, title]) => title)),
    `|${widths.map((width, index) => (index >= 3 ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`,
    ...rows.map((row) => line(COLUMNS.map(([key]) => row[key]))),
  ].join('\n');
}
