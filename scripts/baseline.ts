// Before the runtime's observability loads: its metric lines and INFO logs are for Lambda, not for this console.
import '../lambda/local/local-defaults';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { MANIFEST_FILE, MODEL_FILE, type ModelManifest, readModelManifest } from '../contract/model-repository';
import { loadOnnxModel } from '../lambda/model/onnx-model';
import { DEFAULT_BINS } from '../lambda/monitoring/baseline-builder';
import { manifestText } from './baseline/manifest-text';
import { modelBaseline } from './baseline/model-baseline';
import { readTrainingBatches } from './baseline/training-rows';

/** Rows per ONNX Runtime call: large enough to amortise the call, small enough to keep memory flat. */
const BATCH_ROWS = 256;

const USAGE = `Usage: npm run baseline -- <models>/<name>/<version> --data FILE

Runs the model on its training rows and writes their distributions and the model's answers on them (the drift
baseline) into the version's model.json under "baseline". The drift job and npm run drift compare captured traffic
with it. Deploy the version again afterwards: model.json is part of what a deploy pins.

FILE is one of:
  CSV with a header naming the model's features (model.json "features"); other columns are ignored
  JSON lines of {"<feature>": value, ...}
  JSON lines of inference requests ({"inputs": [...]}, as sent to /v2/models/<name>/infer), for any model

Options:
  --data <file>   the training rows (required)
  --bins <n>      quantile bins per numeric feature (default ${DEFAULT_BINS})
  -h, --help      print this help and exit
`;

async function main(): Promise<number> {
  let values: { data?: string; bins?: string; help: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        bins: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    return usageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [folder, ...extra] = positionals;
  if (folder === undefined) return usageError('give the model version folder, e.g. models/penguins/1');
  if (extra.length > 0) return usageError(`unexpected argument "${extra[0]}"`);
  if (values.data === undefined) return usageError('--data FILE is required: the training rows');
  const bins = values.bins === undefined ? DEFAULT_BINS : Number(values.bins);
  if (!Number.isInteger(bins) || bins < 1)
    return usageError(`--bins must be a whole number of at least 1, got "${values.bins}"`);

  const modelPath = path.join(folder, MODEL_FILE);
  if (!fs.existsSync(modelPath)) {
    throw new Error(`${modelPath} does not exist; give a model version folder such as models/penguins/1`);
  }
  const version = path.basename(path.resolve(folder));
  const name = path.basename(path.dirname(path.resolve(folder)));
  const manifestPath = path.join(folder, MANIFEST_FILE);
  const manifest: ModelManifest = fs.existsSync(manifestPath) ? readModelManifest(manifestPath) : {};
  const bytes = fs.readFileSync(modelPath);

  const loaded = await loadOnnxModel(name, version, bytes);
  const spec = loaded.spec;
  await loaded.release();
  const batches = readTrainingBatches(
    { ...spec, manifest },
    fs.readFileSync(values.data, 'utf8'),
    values.data,
    BATCH_ROWS,
  );
  const totalRows = batches.reduce((rows, batch) => rows + (batch[0]?.shape[0] ?? 0), 0);
  process.stderr.write(`${name} version ${version}: ${totalRows} rows read from ${values.data}\n`);
  const started = performance.now();
  let lastProgress = started;
  const baseline = await modelBaseline(name, version, bytes, manifest, batches, {
    source: `${path.basename(values.data)}, ${totalRows} rows`,
    bins,
    onBatch(rowsDone) {
      if (performance.now() - lastProgress < 1000) return;
      lastProgress = performance.now();
      process.stderr.write(`  ${rowsDone} of ${totalRows} rows through the model\n`);
    },
  });
  fs.writeFileSync(manifestPath, manifestText({ ...manifest, baseline }));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `baseline of ${baseline.rows} rows (${baseline.inputs.length} input and ${baseline.outputs.length} output ` +
      `distributions) -> ${manifestPath} in ${seconds} s; deploy the version again to monitor it\n`,
  );
  return 0;
}

function usageError(message: string): number {
  process.stderr.write(`npm run baseline: ${message}\n\n${USAGE}`);
  return 2;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`npm run baseline: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
