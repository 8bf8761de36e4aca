import type { DriftStatus } from '../../contract/baseline';
import type { DistributionDrift } from '../../lambda/monitoring/window-drift';
import type { VersionDrift } from './drift-run';
import { counted, formatPsi, psiForSorting } from './text-table';

export interface ReportContext {
  readonly generated: Date;
  readonly captureDir: string;
  readonly since?: Date;
  readonly thresholds: { readonly watch: number; readonly act: number };
}

/**
 * The drift report as one self-contained HTML page: a summary table per model version and one bar chart per input
 * feature and output (share of values per bin, baseline against the captured window), most drifted first. Inline
 * SVG and CSS only: no script, font or image is fetched, so the file opens anywhere, offline, and can be attached
 * to a ticket as it is.
 */
export function renderHtmlReport(results: readonly VersionDrift[], context: ReportContext): string {
  const since = context.since === undefined ? 'every captured record' : `records since ${context.since.toISOString()}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Model drift report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Model drift report</h1>
<p class="meta">Generated ${htmlText(context.generated.toISOString())} from ${htmlText(context.captureDir)} (${htmlText(since)}).
Population stability index (PSI) of each input feature and output, recent captures against the training baseline:
below ${context.thresholds.watch} stable, from ${context.thresholds.watch} watch, from ${context.thresholds.act} act.</p>
${results.map(versionSection).join('\n')}
</body>
</html>
`;
}

const STATUS_COLOUR: Readonly<Record<DriftStatus, string>> = { stable: '#2e7d32', watch: '#b7791f', act: '#c62828' };
const BASELINE_COLOUR = '#8a94a6';

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1f2933; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; }
.meta { color: #52606d; max-width: 60em; }
table { border-collapse: collapse; margin: 8px 0 16px; }
td, th { padding: 2px 10px; text-align: left; border-bottom: 1px solid #e4e7eb; }
td.psi { text-align: right; font-variant-numeric: tabular-nums; }
.status-stable { color: ${STATUS_COLOUR.stable}; } .status-watch { color: ${STATUS_COLOUR.watch}; }
.status-act { color: ${STATUS_COLOUR.act}; font-weight: bold; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure.chart { margin: 0; border: 1px solid #e4e7eb; padding: 8px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg text { font: 10px system-ui, sans-serif; fill: #3e4c59; }
`;

function versionSection(result: VersionDrift): string {
  const { drift } = result;
  const all = [
    ...drift.inputs.map((d) => ({ side: 'input', drift: d })),
    ...drift.outputs.map((d) => ({ side: 'output', drift: d })),
  ].sort((a, b) => psiForSorting(b.drift) - psiForSorting(a.drift));
  const skipped = drift.skipped > 0 ? `; ${drift.skipped} records skipped (${drift.skipReasons.join('; ')})` : '';
  const rows = all
    .map(
      ({ side, drift: d }) =>
        `<tr><td>${htmlText(d.name)}</td><td>${side}</td><td class="psi">${formatPsi(d.psi)}</td>` +
        `<td class="status-${d.status}">${Number.isNaN(d.psi) ? 'no data' : d.status}</td></tr>`,
    )
    .join('\n');
  return `<section class="version" data-model="${htmlText(result.model)}" data-version="${htmlText(result.version)}">
<h2>${htmlText(result.model)} version ${htmlText(result.version)}: <span class="status-${drift.status}">${drift.status}</span></h2>
<p class="meta">${counted(drift.rows, 'row')} in ${counted(drift.records, 'captured record')} from ${counted(result.files, 'file')}${htmlText(skipped)}.</p>
<table class="summary"><thead><tr><th>feature or output</th><th></th><th>PSI</th><th>status</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<div class="charts">
${all.map(({ side, drift: d }) => chart(side, d)).join('\n')}
</div>
</section>`;
}

const WIDTH = 420;
const HEIGHT = 200;
const MARGIN = { left: 48, right: 8, top: 22, bottom: 44 };

/** Grouped bars per bin: the baseline's share of values in grey, the window's in the status colour. */
function chart(side: string, drift: DistributionDrift): string {
  const labels = binLabels(drift);
  const baseline = shares(drift.baseline);
  const recent = shares(drift.recent);
  const top = Math.max(...baseline, ...recent, 0.01);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const group = plotWidth / labels.length;
  const bar = Math.max(1, (group * 0.8) / 2);
  const y = (share: number): number => MARGIN.top + plotHeight * (1 - share / top);
  const percent = (share: number): string => `${(share * 100).toFixed(1)} %`;
  const parts: string[] = [];
  labels.forEach((label, bin) => {
    const x = MARGIN.left + bin * group + group * 0.1;
    const pairs = [
      ['baseline', baseline[bin] ?? 0, BASELINE_COLOUR, x],
      ['recent', recent[bin] ?? 0, STATUS_COLOUR[drift.status], x + bar],
    ] as const;
    for (const [series, share, colour, left] of pairs) {
      const height = MARGIN.top + plotHeight - y(share);
      parts.push(
        `<rect class="bar ${series}" x="${left.toFixed(1)}" y="${y(share).toFixed(1)}" width="${bar.toFixed(1)}" ` +
          `height="${height.toFixed(1)}" fill="${colour}"><title>${htmlText(label)}: ${series} ${percent(share)}</title></rect>`,
      );
    }
    // Bin labels only where they fit; every bar still names its bin in its tooltip.
    if (labels.length <= 12) {
      const cx = MARGIN.left + (bin + 0.5) * group;
      parts.push(
        `<text x="${cx.toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 12}" text-anchor="end" ` +
          `transform="rotate(-30 ${cx.toFixed(1)} ${HEIGHT - MARGIN.bottom + 12})">${htmlText(shorten(label))}</text>`,
      );
    }
  });
  const axis =
    `<line x1="${MARGIN.left}" y1="${MARGIN.top + plotHeight}" x2="${WIDTH - MARGIN.right}" y2="${MARGIN.top + plotHeight}" stroke="#9aa5b1"/>` +
    `<text x="${MARGIN.left - 4}" y="${MARGIN.top + 4}" text-anchor="end">${percent(top)}</text>` +
    `<text x="${MARGIN.left - 4}" y="${MARGIN.top + plotHeight}" text-anchor="end">0</text>` +
    `<rect x="${WIDTH - 150}" y="4" width="10" height="10" fill="${BASELINE_COLOUR}"/><text x="${WIDTH - 136}" y="13">baseline</text>` +
    `<rect x="${WIDTH - 80}" y="4" width="10" height="10" fill="${STATUS_COLOUR[drift.status]}"/><text x="${WIDTH - 66}" y="13">recent</text>`;
  const caption = `${drift.name} (${side}): PSI ${formatPsi(drift.psi)}, ${Number.isNaN(drift.psi) ? 'no data' : drift.status}`;
  return `<figure class="chart" data-name="${htmlText(drift.name)}" data-status="${drift.status}">
<figcaption>${htmlText(caption)}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${htmlText(caption)}">
${axis}
${parts.join('\n')}
</svg>
</figure>`;
}

function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((sum, count) => sum + count, 0);
  return counts.map((count) => (total === 0 ? 0 : count / total));
}

/** What each bin holds, in words: "≤ 36.4", "36.4 – 38.1", "> 50.8", or the category. */
export function binLabels(drift: DistributionDrift): string[] {
  if (drift.kind === 'categorical') return [...drift.categories];
  const { edges } = drift;
  if (edges.length === 0) return ['all values'];
  return [
    `≤ ${number(edges[0] ?? 0)}`,
    ...edges.slice(1).map((edge, i) => `${number(edges[i] ?? 0)} – ${number(edge)}`),
    `> ${number(edges[edges.length - 1] ?? 0)}`,
  ];
}

function number(value: number): string {
  return Number.parseFloat(value.toPrecision(4)).toString();
}

function shorten(label: string): string {
  return label.length > 16 ? `${label.slice(0, 15)}…` : label;
}

function htmlText(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
