import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GOLDEN_SET_FILE, parseGoldenSet } from '../../contract/golden-set';
import { recordGolden } from '../../scripts/golden/record';
import { verifyGoldenSets } from '../../scripts/golden/verify';
import { perturbedPenguinsRepository } from '../lambda/rollout/support/perturbed-penguins';
import { DEMO_MODELS } from '../support/demo-models';

// `npm run golden` and `npm run verify` as a user runs them (a child process through npm), and in-process for the
// variants: both drive the runtime's own handler, the recorder in-process and verify through the local twin over HTTP.
const REPOSITORY_ROOT = path.join(__dirname, '..', '..');

function npmRun(script: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['run', '--silent', script, '--', ...args],
      { cwd: REPOSITORY_ROOT, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
          output: `${stdout}${stderr}`,
        });
      },
    );
  });
}

/** A repository holding copies of the demo models (golden sets included), for a test to change. */
function demoRepository(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'golden-'));
  cpSync(DEMO_MODELS, root, { recursive: true });
  return root;
}

const PENGUINS_CSV = [
  'species,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g',
  'Adelie,39.1,18.7,181,3750',
  'Chinstrap,46.5,17.9,192,3500',
  'Gentoo,47.6,14.5,215,5400',
  '',
].join('\n');

describe('npm run golden', () => {
  it("records a golden set from a CSV of the model's features, and refuses to overwrite it without --force", async () => {
    const root = demoRepository();
    const version = path.join(root, 'penguins', '1');
    rmSync(path.join(version, GOLDEN_SET_FILE));
    const inputs = path.join(root, 'examples.csv');
    writeFileSync(inputs, PENGUINS_CSV);

    const recorded = await npmRun('golden', [version, '--inputs', inputs]);
    expect(recorded).toMatchObject({ code: 0 });
    expect(recorded.output).toContain('3 case(s) of penguins version 1 from');
    expect(recorded.output).toContain('examples.csv row 3: label ["Gentoo"]');
    const text = readFileSync(path.join(version, GOLDEN_SET_FILE), 'utf8');
    const golden = parseGoldenSet(text, 'golden.json');
    expect(golden.cases.map((c) => [c.name, c.request.inputs[0].data, c.expected[0].data])).toEqual([
      ['examples.csv row 1', [39.1, 18.7, 181, 3750], ['Adelie']],
      ['examples.csv row 2', [46.5, 17.9, 192, 3500], ['Chinstrap']],
      ['examples.csv row 3', [47.6, 14.5, 215, 5400], ['Gentoo']],
    ]);

    const again = await npmRun('golden', [version]);
    expect(again.code).toBe(1);
    expect(again.output).toContain(`${path.join(version, GOLDEN_SET_FILE)} exists; pass --force to replace it`);
    expect(readFileSync(path.join(version, GOLDEN_SET_FILE), 'utf8')).toBe(text);
  });

  it('records the same bytes twice from generated inputs, and says they only pin behaviour', async () => {
    const root = demoRepository();
    const version = path.join(root, 'mnist', '1');
    const first = await recordGolden([version, '--force', '--cases', '3']);
    const bytes = readFileSync(path.join(version, GOLDEN_SET_FILE));
    await recordGolden([version, '--force', '--cases', '3']);
    expect(readFileSync(path.join(version, GOLDEN_SET_FILE))).toEqual(bytes);
    const golden = parseGoldenSet(bytes.toString('utf8'), 'golden.json');
    expect(golden.cases.map((c) => [c.name, c.request.inputs[0].shape])).toEqual([
      ['generated input 1 (seed 1)', [1, 784]],
      ['generated input 2 (seed 1)', [1, 784]],
      ['generated input 3 (seed 1)', [1, 784]],
    ]);
    // mnist answers differently to different noise; a model that answers all of it alike gets a warning (below).
    expect(first.join('\n')).not.toContain('every case got the same answer');
    expect(first.join('\n')).toContain(
      "generated from the model's metadata, so this golden set pins what the model answers now, not that the answers are right",
    );
  });

  it('warns when every generated case got the same answer (penguins measurements are not numbers in [0, 1))', async () => {
    const version = path.join(demoRepository(), 'penguins', '1');
    const lines = await recordGolden([version, '--force']);
    expect(lines).toContain(
      'warning: every case got the same answer, so this golden set would miss most changes to the model; give inputs like the ones it serves with --inputs <file>',
    );
  });

  it('records JSON lines and JSON arrays of v2 request bodies, nested data made flat, with the tolerance given', async () => {
    const root = demoRepository();
    const version = path.join(root, 'penguins', '1');
    const body = {
      inputs: [
        {
          name: 'features',
          datatype: 'FP32',
          shape: [2, 4],
          data: [
            [39.1, 18.7, 181, 3750],
            [47.6, 14.5, 215, 5400],
          ],
        },
      ],
    };
    writeFileSync(
      path.join(root, 'requests.jsonl'),
      `${JSON.stringify(body)}\n\n${JSON.stringify({ ...body, outputs: [{ name: 'label' }] })}\n`,
    );
    writeFileSync(path.join(root, 'requests.json'), JSON.stringify([body]));

    await recordGolden([
      version,
      '--force',
      '--inputs',
      path.join(root, 'requests.jsonl'),
      '--tolerance-absolute',
      '0.01',
      '--tolerance-relative',
      '0',
    ]);
    const lines = parseGoldenSet(readFileSync(path.join(version, GOLDEN_SET_FILE), 'utf8'), 'golden.json');
    expect(lines.tolerance).toEqual({ absolute: 0.01, relative: 0 });
    expect(lines.cases.map((c) => [c.name, c.request.inputs[0].data.length, c.expected.map((o) => o.name)])).toEqual([
      ['requests.jsonl line 1', 8, ['label', 'probabilities']],
      ['requests.jsonl line 3', 8, ['label']],
    ]);
    await recordGolden([version, '--force', '--inputs', path.join(root, 'requests.json')]);
    const array = parseGoldenSet(readFileSync(path.join(version, GOLDEN_SET_FILE), 'utf8'), 'golden.json');
    expect(array.cases.map((c) => [c.name, c.expected[0].data])).toEqual([
      ['requests.json item 1', ['Adelie', 'Gentoo']],
    ]);
  });

  it.each<[string, string, string, RegExp]>([
    [
      'a request the model refuses',
      'bad.jsonl',
      '{"inputs": [{"name": "pixels", "datatype": "FP32", "shape": [1, 1], "data": [0]}]}\n',
      /bad\.jsonl line 1: the model answered 400 \(unknown input "pixels"/,
    ],
    ['a line that is not JSON', 'bad.jsonl', '{"inputs": []}\nnot json\n', /bad\.jsonl line 2 is not JSON/],
    [
      'a body without inputs',
      'bad.json',
      '[{"instances": [[1, 2, 3, 4]]}]',
      /bad\.json item 1 is not a v2 request body: it needs an "inputs" array/,
    ],
    [
      'a CSV without a feature column',
      'bad.csv',
      'bill_length_mm,bill_depth_mm\n1,2\n',
      /bad\.csv's header lacks the model's feature column\(s\) flipper_length_mm, body_mass_g/,
    ],
    [
      'a CSV cell that is not a number',
      'bad.csv',
      'bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g\n1,2,NA,4\n',
      /bad\.csv row 1: column flipper_length_mm holds "NA", not a number/,
    ],
  ])('fails on %s, naming the place, and writes nothing', async (_case, file, content, message) => {
    const root = demoRepository();
    const version = path.join(root, 'penguins', '1');
    rmSync(path.join(version, GOLDEN_SET_FILE));
    writeFileSync(path.join(root, file), content);
    await expect(recordGolden([version, '--inputs', path.join(root, file)])).rejects.toThrow(message);
    expect(() => readFileSync(path.join(version, GOLDEN_SET_FILE))).toThrow(/ENOENT/);
  });

  it('rejects a folder that is not a model version, and a negative tolerance', async () => {
    await expect(recordGolden([DEMO_MODELS])).rejects.toThrow(/is not a model version folder \(<name>\/<version>\)/);
    const version = path.join(demoRepository(), 'penguins', '1');
    await expect(recordGolden([version, '--force', '--tolerance-absolute=-1'])).rejects.toThrow(
      '--tolerance-absolute must be a number >= 0, got "-1"',
    );
  });
});

describe('npm run verify', () => {
  it('replays every golden set against the local twin and exits 0 when all pass', async () => {
    const { code, output } = await npmRun('verify', ['--models', DEMO_MODELS]);
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).toMatch(/^ok {3}mnist version 1: 9 of 9 cases passed in \d+ ms$/m);
    expect(output).toMatch(/^ok {3}penguins version 1: 9 of 9 cases passed in \d+ ms$/m);
    expect(output).toContain('2 golden set(s) passed');
  });

  it('exits 1 with the verbatim difference when a model no longer matches its golden set', async () => {
    const root = perturbedPenguinsRepository();
    cpSync(path.join(DEMO_MODELS, 'penguins', '1', GOLDEN_SET_FILE), path.join(root, 'penguins', '1', GOLDEN_SET_FILE));
    const { code, output } = await npmRun('verify', ['--models', root]);
    expect(code).toBe(1);
    expect(output).toContain(
      'FAIL golden set of penguins version 1: case "held-out row 0": output "probabilities" element 0 (index [0, 0]) is ' +
        '0.9466667771339417, expected 0.9866667985916138 (difference 0.04, tolerance 0.0001087)',
    );
    expect(output).toContain('1 of 1 golden set(s) failed');
  });

  it('names the models without a golden set, the versions a deploy does not serve, and a golden set that does not parse', async () => {
    const root = demoRepository();
    rmSync(path.join(root, 'mnist', '1', GOLDEN_SET_FILE));
    cpSync(path.join(root, 'penguins', '1'), path.join(root, 'penguins', '2'), { recursive: true });
    writeFileSync(path.join(root, 'penguins', '2', GOLDEN_SET_FILE), '{"format": 1,');
    const lines: string[] = [];
    expect(await verifyGoldenSets(['--models', root], (line) => lines.push(line))).toBe(false);
    expect(lines).toEqual([
      expect.stringMatching(
        /^replaying golden sets of 2 model version\(s\) in \S+ against the local twin at http:\/\/127\.0\.0\.1:\d+$/,
      ),
      expect.stringMatching(
        new RegExp(
          `^FAIL golden set of penguins version 2: ${path.join(root, 'penguins', '2', GOLDEN_SET_FILE)} is not valid JSON`,
        ),
      ),
      `no golden set: mnist version 1; record one with npm run golden -- ${path.join(root, 'mnist', '1')}`,
      'not checked: versions a deploy does not serve (penguins 1); add --all-versions to check them too',
      '1 of 1 golden set(s) failed',
    ]);
  });
});
