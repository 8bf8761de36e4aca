import type { DistributionDrift } from '../../lambda/monitoring/window-drift';
import type { VersionDrift } from './drift-run';

/** Above this many features, the table lists the most drifted ones and counts the rest (the report has them all). */
export const MAX_TABLE_FEATURES = 40;

/** The console table of one model version: a heading, then feature, PSI and status per input and output. */
export function driftTable(result: VersionDrift): string {
  const { drift } = result;
  const skipped = drift.skipped > 0 ? `, ${drift.skipped} skipped` : '';
  const lines = [
    `${result.model} version ${result.version}: ${counted(drift.rows, 'row')} in ${counted(drift.records, 'record')} ` +
      `from ${counted(result.files, 'file')}${skipped}; drift ${drift.status}`,
  ];
  for (const reason of drift.skipReasons) lines.push(`  skipped: ${reason}`);
  const noise = samplingNoise(drift.rows, drift.inputs[0]);
  if (noise !== undefined) {
    lines.push(
      `  few rows: sampling alone gives a PSI of about ${noise.toFixed(2)} here; ` +
        `the drift job waits for ${FEW_ROWS} rows before it judges`,
    );
  }
  const shown = mostDrifted(drift.inputs);
  const rows: [string, string, string][] = [
    ['feature', 'PSI', 'status'],
    ...shown.map((d) => row(d.name, d)),
    ...drift.outputs.map((d) => row(`output ${d.name}`, d)),
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  for (const [name, psi, status] of rows) lines.push(`  ${name.padEnd(width)}  ${psi.padStart(8)}  ${status}`);
  const hidden = drift.inputs.length - shown.length;
  if (hidden > 0) {
    lines.push(`  ... and ${hidden} more features with lower PSI (every one is in the HTML report)`);
  }
  return lines.join('\n');
}

/** Below this many rows the table warns that PSI is mostly noise (the drift job's default minimum rows). */
const FEW_ROWS = 100;

/**
 * The PSI two samples of the same distribution show from sampling alone, about (bins - 1) * (1/n + 1/N) for n recent
 * and N baseline values; undefined when the window holds enough rows for that not to matter.
 */
function samplingNoise(rows: number, feature: DistributionDrift | undefined): number | undefined {
  if (feature === undefined || rows === 0 || rows >= FEW_ROWS) return undefined;
  const baselineRows = feature.baseline.reduce((total, count) => total + count, 0);
  if (baselineRows === 0) return undefined;
  return (feature.baseline.length - 1) * (1 / rows + 1 / baselineRows);
}

function mostDrifted(inputs: readonly DistributionDrift[]): readonly DistributionDrift[] {
  if (inputs.length <= MAX_TABLE_FEATURES) return inputs;
  return [...inputs].sort((a, b) => psiForSorting(b) - psiForSorting(a)).slice(0, MAX_TABLE_FEATURES);
}

export function psiForSorting(drift: DistributionDrift): number {
  return Number.isNaN(drift.psi) ? -1 : drift.psi;
}

function row(name: string, drift: DistributionDrift): [string, string, string] {
  return [name, formatPsi(drift.psi), Number.isNaN(drift.psi) ? 'no data' : drift.status];
}

export function formatPsi(psi: number): string {
  return Number.isNaN(psi) ? '-' : psi.toFixed(4);
}

/** "1 file", "2 files". */
export function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
