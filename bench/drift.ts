/**
 * What the drift computation costs: 10,000 captured single-row requests (penguins, and mnist with its 784 pixel
 * features) compared with the model's baseline, both from records in memory (windowDrift, the drift job's core) and
 * from a local capture folder of .jsonl files (npm run drift: read, parse, count). Reports milliseconds per run and
 * records per second. Run: npx tsx bench/drift.ts [--quick], or as part of npm run bench.
 */
import './environment';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CaptureRecord } from '../contract/capture';
import { windowDrift } from '../lambda/monitoring/window-drift';
import { listCapturedVersions } from '../scripts/drift/capture-files';
import { versionDrift } from '../scripts/drift/drift-run';
import { loadMnistSplit, MNIST_PIXELS } from '../scripts/train/mnist-data';
import { loadPenguinsSplit } from '../scripts/train/penguins-data';
import { capturedRecords, type DemoModel, loadDemoModel, writeCaptureFolder } from '../test/support/demo-captures';
import { type Summary, summarize } from './stats';
import { type Row, renderTable, summaryRow, textRow } from './table';

export interface DriftBench {
  readonly model: string;
  readonly records: number;
  readonly features: number;
  /** windowDrift over records already parsed in memory. */
  readonly inMemoryMs: Summary;
  /** Listing, reading and parsing the capture files, then counting: npm run drift without the report. */
  readonly fromFilesMs: Summary;
  readonly captureBytes: number;
}

/** Records spread over this many hourly files, as a day of traffic would be. */
const HOURS = 10;

export async function measureDrift(quick: boolean, progress: (line: string) => void = () => {}): Promise<DriftBench[]> {
  const count = quick ? 1000 : 10_000;
  const rounds = quick ? 2 : 5;
  const penguinRows = loadPenguinsSplit().heldOut.features;
  const { heldOut } = loadMnistSplit();
  const digitRows = Array.from({ length: heldOut.count }, (_, row) =>
    Array.from(heldOut.pixels.subarray(row * MNIST_PIXELS, (row + 1) * MNIST_PIXELS)),
  );
  const results: DriftBench[] = [];
  for (const [name, rows] of [
    ['penguins', penguinRows],
    ['mnist', digitRows],
  ] as const) {
    const demo = await loadDemoModel(name);
    try {
      progress(`drift: capturing ${count} ${name} requests`);
      const records = await recordsOver(demo, rows, count);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `drift-bench-${name}-`));
      try {
        writeCaptureFolder(dir, records);
        const [captured] = listCapturedVersions(dir);
        if (captured === undefined) throw new Error(`no captures written to ${dir}`);
        const captureBytes = captured.files.reduce((bytes, file) => bytes + fs.statSync(file).size, 0);
        const inMemory: number[] = [];
        const fromFiles: number[] = [];
        for (let round = 0; round < rounds; round++) {
          progress(`drift: ${name} round ${round + 1} of ${rounds}`);
          let started = performance.now();
          const drift = windowDrift(demo.descriptor, records);
          inMemory.push(performance.now() - started);
          if (drift.records !== count) throw new Error(`counted ${drift.records} of ${count} ${name} records`);
          started = performance.now();
          const [listed] = listCapturedVersions(dir);
          if (listed === undefined) throw new Error(`no captures listed in ${dir}`);
          versionDrift(demo.descriptor, listed, undefined, () => {});
          fromFiles.push(performance.now() - started);
        }
        results.push({
          model: name,
          records: count,
          features: demo.descriptor.manifest.baseline?.inputs.length ?? 0,
          inMemoryMs: summarize(inMemory),
          fromFilesMs: summarize(fromFiles),
          captureBytes,
        });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      await demo.model.release();
    }
  }
  return results;
}

/** `count` single-row records cycling through `rows`, spread evenly over HOURS consecutive hours. */
async function recordsOver(demo: DemoModel, rows: readonly number[][], count: number): Promise<CaptureRecord[]> {
  const records: CaptureRecord[] = [];
  const start = Date.UTC(2026, 11, 1, 0);
  for (let hour = 0; hour < HOURS; hour++) {
    const size = Math.floor(count / HOURS) + (hour < count % HOURS ? 1 : 0);
    const picked = Array.from({ length: size }, (_, i) => rows[(records.length + i) % rows.length] ?? []);
    records.push(...(await capturedRecords(demo, picked, new Date(start + hour * 3_600_000))));
  }
  return records;
}

export function driftRows(results: readonly DriftBench[]): Row[] {
  return results.flatMap((result) => {
    const subject = `${result.model}, ${result.records} records, ${result.features} features`;
    const perSecond = (ms: number) => ((result.records / ms) * 1000).toFixed(0);
    return [
      summaryRow('drift', subject, 'windowDrift in memory', result.inMemoryMs, 'ms'),
      summaryRow('drift', subject, 'from capture files (read + parse + count)', result.fromFilesMs, 'ms'),
      textRow('drift', subject, 'records/s from files (median)', perSecond(result.fromFilesMs.median)),
      textRow('drift', subject, 'capture files (MB)', (result.captureBytes / 1e6).toFixed(1)),
    ];
  });
}

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  measureDrift(quick, (line) => process.stderr.write(`${line}\n`)).then(
    (results) => console.log(renderTable(driftRows(results))),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
