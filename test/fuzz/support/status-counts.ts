import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the suites write their counts: `npm run fuzz` adds them up, CI can keep them. */
export const FUZZ_REPORT_DIR =
  process.env.FUZZ_REPORT_DIR ?? join(__dirname, '..', '..', '..', 'node_modules', '.cache', 'model-endpoint', 'fuzz');

/** Answers by status for one property ("200", "400", ..., "no answer"), to show what a run actually exercised. */
export class StatusCounts {
  private readonly counts = new Map<string, number>();

  constructor(readonly property: string) {}

  record(status: number | string): void {
    const key = String(status);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  get total(): number {
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** `fuzz <property>: 137 requests, 200: 80, 400: 57, 5xx: 0` */
  line(): string {
    const serverErrors = [...this.counts.entries()]
      .filter(([status]) => /^5\d\d$/.test(status))
      .reduce((sum, [, count]) => sum + count, 0);
    const parts = Object.entries(this.toJSON()).map(([status, count]) => `${status}: ${count}`);
    return `fuzz ${this.property}: ${this.total} requests, ${[...parts, `5xx: ${serverErrors}`].join(', ')}`;
  }
}

/**
 * Prints each property's counts as one line on stdout (outside Jest's console capture, so CI logs show it plainly)
 * and writes them as JSON to FUZZ_REPORT_DIR/<suite>.json.
 */
export function reportCounts(suite: string, all: readonly StatusCounts[], seed: number): void {
  process.stdout.write(`\n${all.map((counts) => counts.line()).join('\n')}\n(seed ${seed})\n`);
  mkdirSync(FUZZ_REPORT_DIR, { recursive: true });
  const report = {
    suite,
    seed,
    properties: Object.fromEntries(all.map((counts) => [counts.property, counts.toJSON()])),
  };
  writeFileSync(join(FUZZ_REPORT_DIR, `${suite}.json`), `${JSON.stringify(report, null, 2)}\n`);
}
