// Before the runtime's observability loads: its metric lines and INFO logs are for Lambda, not for this console.
import '../../lambda/local/local-defaults';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_GOLDEN_TOLERANCE,
  GOLDEN_SET_FILE,
  GOLDEN_SET_FORMAT,
  type GoldenCase,
  type GoldenTolerance,
  serializeGoldenSet,
} from '../../contract/golden-set';
import {
  MANIFEST_FILE,
  MODEL_FILE,
  modelNameProblem,
  modelVersionProblem,
  readModelManifest,
} from '../../contract/model-repository';
import { sha256Hex } from '../../lambda/model/checksum';
import { requestsFromFile } from './example-inputs';
import { generatedRequests } from './generated-inputs';
import { openGoldenRecorder } from './golden-recorder';

export const RECORD_USAGE = `Usage: npm run golden -- models/<name>/<version> [options]

Records the golden set of a model version (golden.json beside its model.onnx): example requests with the answers the
model gives now, which the pre-traffic check of a deploy and npm run verify replay.

Options:
  --inputs <file>              example inputs: a JSON array or JSON lines of v2 request bodies, or a CSV file with
                               the model.json "features" as columns; without it, inputs are generated from the
                               model's metadata (seeded), which pins behaviour but cannot show it is right
  --cases <n>                  how many cases: the first n of the file (default all), or n generated (default 8)
  --seed <n>                   seed of generated inputs (default 1)
  --tolerance-absolute <x>     allowed |actual - expected| for float outputs (default ${DEFAULT_GOLDEN_TOLERANCE.absolute})
  --tolerance-relative <x>     plus this fraction of |expected| (default ${DEFAULT_GOLDEN_TOLERANCE.relative})
  --force                      replace an existing golden.json
  -h, --help                   print this help and exit
`;

const DEFAULT_GENERATED_CASES = 8;

/** Records and writes the golden set; returns the lines to print. Throws an Error saying what to fix. */
export async function recordGolden(argv: readonly string[]): Promise<string[]> {
  const { values, positionals } = parseCommandLine(argv);
  if (values.help) return [RECORD_USAGE];
  if (positionals.length !== 1) {
    throw new Error(`give exactly one model version folder, such as models/penguins/1 (got ${positionals.length})`);
  }
  const versionDir = path.resolve(positionals[0]);
  const version = path.basename(versionDir);
  const name = path.basename(path.dirname(versionDir));
  const problem = modelVersionProblem(version) ?? modelNameProblem(name);
  if (problem !== undefined) {
    throw new Error(`${positionals[0]} is not a model version folder (<name>/<version>): ${problem}`);
  }
  const modelPath = path.join(versionDir, MODEL_FILE);
  if (!existsSync(modelPath)) throw new Error(`${positionals[0]} has no ${MODEL_FILE}`);
  const goldenPath = path.join(versionDir, GOLDEN_SET_FILE);
  if (existsSync(goldenPath) && !values.force) {
    throw new Error(`${path.join(positionals[0], GOLDEN_SET_FILE)} exists; pass --force to replace it`);
  }
  const tolerance: GoldenTolerance = {
    absolute: nonNegative(values['tolerance-absolute'], '--tolerance-absolute', DEFAULT_GOLDEN_TOLERANCE.absolute),
    relative: nonNegative(values['tolerance-relative'], '--tolerance-relative', DEFAULT_GOLDEN_TOLERANCE.relative),
  };
  const cases = values.cases === undefined ? undefined : positiveInteger(values.cases, '--cases');
  const seed = values.seed === undefined ? 1 : positiveInteger(values.seed, '--seed');
  const manifestPath = path.join(versionDir, MANIFEST_FILE);
  const manifest = existsSync(manifestPath) ? readModelManifest(manifestPath) : undefined;

  const recorder = await openGoldenRecorder(name, version, modelPath);
  let recorded: GoldenCase[];
  try {
    const requests =
      values.inputs === undefined
        ? generatedRequests(recorder.spec, cases ?? DEFAULT_GENERATED_CASES, seed)
        : requestsFromFile(values.inputs, recorder.spec, manifest).slice(0, cases);
    recorded = await recorder.record(requests);
  } finally {
    await recorder.release();
  }
  const text = serializeGoldenSet({ format: GOLDEN_SET_FORMAT, tolerance, cases: recorded });
  writeFileSync(goldenPath, text);
  const relative = path.relative(process.cwd(), goldenPath);
  const shown = relative.startsWith('..') ? goldenPath : relative;
  const from = values.inputs === undefined ? `generated inputs (seed ${seed})` : values.inputs;
  return [
    `wrote ${shown}: ${recorded.length} case(s) of ${name} version ${version} from ${from}, ` +
      `${Buffer.byteLength(text)} bytes, sha256 ${sha256Hex(Buffer.from(text))}`,
    `tolerance for float outputs: |actual - expected| <= ${tolerance.absolute} + ${tolerance.relative} * |expected|; other outputs must match exactly`,
    ...recorded.map((c) => `  ${c.name}: ${c.expected.map(summary).join(', ')}`),
    ...(recorded.length > 1 && new Set(recorded.map((c) => JSON.stringify(c.expected))).size === 1
      ? [
          `warning: every case got the same answer, so this golden set would miss most changes to the model; ` +
            'give inputs like the ones it serves with --inputs <file>',
        ]
      : []),
    ...(values.inputs === undefined
      ? [
          "note: these inputs were generated from the model's metadata, so this golden set pins what the model answers " +
            'now, not that the answers are right; record one from real examples with --inputs <file> for that',
        ]
      : []),
    `check it against the local twin with npm run verify; a deploy replays it before any traffic shifts`,
  ];
}

function summary(output: GoldenCase['expected'][number]): string {
  const shown = output.data.slice(0, 4).map((value) => JSON.stringify(value));
  const more = output.data.length > 4 ? `, ... (${output.data.length} values)` : '';
  return `${output.name} [${shown.join(', ')}${more}]`;
}

function parseCommandLine(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        inputs: { type: 'string' },
        cases: { type: 'string' },
        seed: { type: 'string' },
        'tolerance-absolute': { type: 'string' },
        'tolerance-relative': { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new Error((error as Error).message);
  }
}

function nonNegative(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${option} must be a number >= 0, got "${text}"`);
  }
  return value;
}

function positiveInteger(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${option} must be an integer >= 1, got "${text}"`);
  return value;
}

async function main(): Promise<void> {
  try {
    for (const line of await recordGolden(process.argv.slice(2))) console.log(line);
  } catch (error) {
    console.error(`npm run golden: ${(error as Error).message} (npm run golden -- --help lists the options)`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
