import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { readModelManifest } from '../../contract/model-repository';
import { loadPenguinsSplit, PENGUIN_FEATURES, PENGUIN_SPECIES } from '../../scripts/train/penguins-data';
import { DEMO_MODELS } from '../support/demo-models';

const REPOSITORY_ROOT = path.join(__dirname, '..', '..');

/** `npm run baseline -- <args>` as a user runs it, through tsx. */
async function baseline(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const tsx = path.join(REPOSITORY_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [tsx, 'scripts/baseline.ts', ...args], {
      cwd: REPOSITORY_ROOT,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The penguins demo without its baseline, as a user's model would be before npm run baseline. */
function penguinsWithoutBaseline(dir: string): string {
  const folder = path.join(dir, 'models', 'penguins', '1');
  fs.mkdirSync(folder, { recursive: true });
  fs.copyFileSync(path.join(DEMO_MODELS, 'penguins', '1', 'model.onnx'), path.join(folder, 'model.onnx'));
  const { baseline: _trained, ...manifest } = readModelManifest(path.join(DEMO_MODELS, 'penguins', '1', 'model.json'));
  fs.writeFileSync(path.join(folder, 'model.json'), JSON.stringify(manifest));
  return folder;
}

describe('npm run baseline', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baseline-cli-'));
  const { train } = loadPenguinsSplit();
  const trained = readModelManifest(path.join(DEMO_MODELS, 'penguins', '1', 'model.json')).baseline;

  // The same training rows in each form the command reads must give the baseline npm run train wrote.
  const forms: [string, string][] = [
    [
      'CSV with a header naming the features (and a column it ignores)',
      [
        ['species', ...PENGUIN_FEATURES].join(','),
        ...train.features.map((row, i) => [`"${PENGUIN_SPECIES[train.species[i] ?? 0]}"`, ...row].join(',')),
      ].join('\n'),
    ],
    [
      'JSON lines of feature values',
      train.features
        .map((row) => JSON.stringify(Object.fromEntries(PENGUIN_FEATURES.map((f, i) => [f, row[i]]))))
        .join('\n'),
    ],
    [
      'JSON lines of inference requests',
      train.features
        .map((row) => JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: row }] }))
        .join('\n'),
    ],
  ];

  it.each(forms)('writes the baseline npm run train computes from %s', async (form, text) => {
    const formDir = fs.mkdtempSync(path.join(dir, 'form-'));
    const folder = penguinsWithoutBaseline(formDir);
    const data = path.join(formDir, form.startsWith('CSV') ? 'train.csv' : 'train.jsonl');
    fs.writeFileSync(data, text);
    const run = await baseline([folder, '--data', data]);
    expect(run.stderr).toMatch(/penguins version 1: 256 rows read/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/baseline of 256 rows \(4 input and 2 output distributions\) -> .*model\.json/);
    const written = readModelManifest(path.join(folder, 'model.json'));
    // Inputs exactly; outputs up to float32 rounding, since ONNX Runtime may sum a batch of one in another order.
    expect(written.baseline?.inputs).toEqual(trained?.inputs);
    expect(written.baseline?.rows).toBe(trained?.rows);
    const [label, probabilities] = written.baseline?.outputs ?? [];
    const [trainedLabel, trainedProbabilities] = trained?.outputs ?? [];
    expect(label).toEqual(trainedLabel);
    expect(probabilities?.counts).toEqual(trainedProbabilities?.counts);
    const edges = probabilities?.kind === 'numeric' ? probabilities.edges : [];
    const trainedEdges = trainedProbabilities?.kind === 'numeric' ? trainedProbabilities.edges : [];
    expect(edges).toHaveLength(trainedEdges.length);
    edges.forEach((edge, i) => {
      expect(edge).toBeCloseTo(trainedEdges[i] ?? Number.NaN, 6);
    });
    expect(written.labels).toEqual([...PENGUIN_SPECIES]);
  });

  it('fails naming the missing column, the columns the model needs and those the file has', async () => {
    const folder = penguinsWithoutBaseline(fs.mkdtempSync(path.join(dir, 'missing-')));
    const data = path.join(dir, 'three-columns.csv');
    fs.writeFileSync(data, 'bill_length_mm,bill_depth_mm,flipper_length_mm\n39.1,18.7,181\n');
    const run = await baseline([folder, '--data', data]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /three-columns\.csv has no column "body_mass_g"; model "penguins" needs .*"bill_length_mm"/,
    );
    expect(fs.readFileSync(path.join(folder, 'model.json'), 'utf8')).not.toMatch(/baseline/);
  });

  it('fails naming the line of a value that is not a number', async () => {
    const folder = penguinsWithoutBaseline(fs.mkdtempSync(path.join(dir, 'text-')));
    const data = path.join(dir, 'text.csv');
    fs.writeFileSync(data, `${PENGUIN_FEATURES.join(',')}\n39.1,18.7,181,3750\n40,18,190,heavy\n`);
    const run = await baseline([folder, '--data', data]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/text\.csv line 3: "body_mass_g" is "heavy", not a number/);
  });
});
