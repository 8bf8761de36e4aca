// Before the runtime's observability loads: its metric lines and INFO logs are for Lambda, not for this console.
import '../../lambda/local/local-defaults';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DRIFT_THRESHOLDS } from '../../contract/baseline';
import { listCapturedVersions } from './capture-files';
import { localDescriptor, type VersionDrift, versionDrift } from './drift-run';
import { renderHtmlReport } from './html-report';
import { DRIFT_EXIT_CODE, type DriftOptions, HelpRequested, parseDriftOptions, USAGE } from './options';
import { counted, driftTable } from './text-table';

/** Progress lines at most this often: enough to show a long run is moving, few enough not to flood the terminal. */
const PROGRESS_INTERVAL_MS = 1000;

async function main(): Promise<number> {
  let options: DriftOptions | HelpRequested;
  try {
    options = parseDriftOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`npm run drift: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options instanceof HelpRequested) {
    process.stdout.write(USAGE);
    return 0;
  }
  const versions = listCapturedVersions(options.captureDir, options);
  const results: VersionDrift[] = [];
  const failures: string[] = [];
  for (const captured of versions) {
    const label = `${captured.model} version ${captured.version}`;
    try {
      const descriptor = await localDescriptor(options.modelsDir, captured.model, captured.version);
      const started = performance.now();
      let lastProgress = started;
      const result = versionDrift(descriptor, captured, options.since, (progress) => {
        const now = performance.now();
        if (now - lastProgress < PROGRESS_INTERVAL_MS) return;
        lastProgress = now;
        process.stderr.write(
          `${label}: read ${progress.filesRead} of ${progress.filesTotal} files, ${progress.records} records\n`,
        );
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      process.stderr.write(
        `${label}: ${counted(result.drift.records, 'record')} from ${counted(result.files, 'file')} in ${seconds} s\n`,
      );
      results.push(result);
      process.stdout.write(`${driftTable(result)}\n\n`);
    } catch (error) {
      failures.push(`${label}: ${(error as Error).message}`);
      process.stderr.write(`npm run drift: ${label}: ${(error as Error).message}\n`);
    }
  }
  if (results.length > 0) {
    const html = renderHtmlReport(results, {
      generated: new Date(),
      captureDir: options.captureDir,
      ...(options.since !== undefined && { since: options.since }),
      thresholds: DRIFT_THRESHOLDS,
    });
    fs.mkdirSync(path.dirname(path.resolve(options.reportFile)), { recursive: true });
    fs.writeFileSync(options.reportFile, html);
    process.stdout.write(`report -> ${options.reportFile}\n`);
  }
  if (failures.length > 0) return 1;
  const acting = results.filter((result) => result.drift.status === 'act');
  if (options.failOnDrift && acting.length > 0) {
    const which = acting.map((result) => `${result.model} version ${result.version}`).join(', ');
    process.stderr.write(`npm run drift: drift past the act threshold (${DRIFT_THRESHOLDS.act}) in ${which}\n`);
    return DRIFT_EXIT_CODE;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`npm run drift: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
