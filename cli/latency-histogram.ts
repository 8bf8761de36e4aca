/** Latency statistics and a text histogram of them, for `bench`. */
import { COLUMNS } from './output-text';

export interface LatencySummary {
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface HistogramBucket {
  readonly fromMs: number;
  readonly toMs: number;
  readonly count: number;
}

/** Nearest-rank percentiles of latencies in ms. */
export function summarize(latenciesMs: readonly number[]): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
  return { min: sorted[0] ?? 0, p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: sorted.at(-1) ?? 0 };
}

/**
 * Buckets on a logarithmic scale from the fastest to the slowest request: latencies have a long tail, which equal
 * widths would crowd into one bar.
 */
export function histogram(latenciesMs: readonly number[], buckets = 10): HistogramBucket[] {
  if (latenciesMs.length === 0) return [];
  const { min, max } = summarize(latenciesMs);
  const low = Math.max(min, 0.01);
  const ratio = max > low ? (max / low) ** (1 / buckets) : 1;
  const edges = Array.from({ length: buckets + 1 }, (_, i) => (i === buckets ? max : low * ratio ** i));
  const counts = new Array<number>(buckets).fill(0);
  for (const value of latenciesMs) {
    const index =
      ratio === 1 ? 0 : Math.min(buckets - 1, Math.max(0, Math.floor(Math.log(value / low) / Math.log(ratio))));
    counts[index]++;
  }
  return counts
    .map((count, i) => ({ fromMs: edges[i], toMs: edges[i + 1], count }))
    .filter((_, i) => ratio !== 1 || i === 0);
}

/** One line per bucket: its range, a bar scaled to the fullest bucket, the count. */
export function histogramLines(buckets: readonly HistogramBucket[]): string[] {
  const most = Math.max(1, ...buckets.map((b) => b.count));
  const label = (b: HistogramBucket) => `${b.fromMs.toFixed(1).padStart(8)} - ${b.toMs.toFixed(1).padStart(8)} ms `;
  const countWidth = String(most).length;
  const barWidth = COLUMNS - label(buckets[0] ?? { fromMs: 0, toMs: 0, count: 0 }).length - countWidth - 2;
  return buckets.map(
    (b) =>
      `${label(b)}${'█'.repeat(Math.round((b.count / most) * barWidth)).padEnd(barWidth)} ${String(b.count).padStart(countWidth)}`,
  );
}

/** `[#####.....] 120/200` sized to the terminal, for stderr. */
export function progressBar(done: number, total: number, width = COLUMNS): string {
  const counter = ` ${done}/${total}`;
  const inner = width - counter.length - 3;
  const filled = Math.round((done / Math.max(total, 1)) * inner);
  return `[${'#'.repeat(filled)}${'.'.repeat(inner - filled)}]${counter}`;
}
