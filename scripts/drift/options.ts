import { parseArgs } from 'node:util';

export interface DriftOptions {
  /** The local capture folder (`npm start -- --capture DIR`). */
  readonly captureDir: string;
  /** Only this model's captures. @default - every captured model */
  readonly model?: string;
  /** Only this version's captures. @default - every captured version */
  readonly version?: string;
  /** The model repository the baselines are read from. */
  readonly modelsDir: string;
  /** Only records answered at or after this time. @default - every record */
  readonly since?: Date;
  /** Where the HTML report goes. */
  readonly reportFile: string;
  /** Exit with DRIFT_EXIT_CODE when any feature or output is past the act threshold. */
  readonly failOnDrift: boolean;
}

/** The exit code of `--fail-on-drift` when drift is past the act threshold, apart from 1 (error) and 2 (usage). */
export const DRIFT_EXIT_CODE = 3;
export const DEFAULT_REPORT_FILE = 'drift-report.html';

export const USAGE = `Usage: npm run drift -- --capture DIR [options]

Compares the requests and answers captured by \`npm start -- --capture DIR\` with each model version's training
baseline (model.json "baseline", written by npm run train or npm run baseline): prints the population stability
index (PSI) of every input feature and output, and writes a self-contained HTML report with a chart per feature.
PSI below 0.1 is stable, 0.1 to 0.2 worth watching, 0.2 and above a shift to act on.

Options:
  --capture <dir>   the capture folder (holding captures/model=<name>/version=<v>/...)   (required)
  --model <name>    only this model                                                    (default: every model)
  --version <v>     only this version                                                  (default: every version)
  --models <dir>    model repository with the baselines                                (default: models)
  --since <time>    only records answered at or after this ISO 8601 time, e.g. 2026-12-01T09:00Z
  --report <file>   where to write the HTML report                                     (default: ${DEFAULT_REPORT_FILE})
  --fail-on-drift   exit ${DRIFT_EXIT_CODE} when any feature or output has PSI at or above 0.2 (for CI)
  -h, --help        print this help and exit
`;

export class HelpRequested {}

/** Throws an Error naming the bad option or value, for the caller to print with the usage. */
export function parseDriftOptions(argv: readonly string[]): DriftOptions | HelpRequested {
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      capture: { type: 'string' },
      model: { type: 'string' },
      version: { type: 'string' },
      models: { type: 'string' },
      since: { type: 'string' },
      report: { type: 'string' },
      'fail-on-drift': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return new HelpRequested();
  if (positionals.length > 0) {
    throw new Error(`unexpected argument "${positionals[0]}"; give the capture folder as --capture ${positionals[0]}`);
  }
  if (values.capture === undefined || values.capture === '') {
    throw new Error('--capture <dir> is required: the folder npm start -- --capture <dir> wrote');
  }
  let since: Date | undefined;
  if (values.since !== undefined) {
    since = new Date(values.since);
    if (Number.isNaN(since.getTime())) {
      throw new Error(`--since must be an ISO 8601 time such as 2026-12-01T09:00Z, got "${values.since}"`);
    }
  }
  return {
    captureDir: values.capture,
    ...(values.model !== undefined && { model: values.model }),
    ...(values.version !== undefined && { version: values.version }),
    modelsDir: values.models ?? 'models',
    ...(since !== undefined && { since }),
    reportFile: values.report ?? DEFAULT_REPORT_FILE,
    failOnDrift: values['fail-on-drift'],
  };
}
