import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { modelNameProblem, modelVersionProblem, scanModelRepository } from '../../contract/model-repository';

/** A file's contents, or a symbolic link's target (relative to the link's folder, as `ln -s` writes it). */
type Entry = string | { readonly link: string };

/** Writes `{ "relative/path": entry }` into a fresh folder; a path ending in "/" is an empty folder. */
function repository(entries: Readonly<Record<string, Entry>>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'scan-'));
  for (const [relative, entry] of Object.entries(entries)) {
    const target = path.join(root, relative);
    if (relative.endsWith('/')) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    if (typeof entry === 'string') writeFileSync(target, entry);
    else symlinkSync(entry.link, target);
  }
  return root;
}

/** What a scan found, as `name/version` pairs with their manifests, paths relative to the root. */
function summary(root: string): { models: string[]; warnings: string[] } {
  const scanned = scanModelRepository(root);
  return {
    models: scanned.models.flatMap((model) =>
      model.versions.map(
        (version) =>
          `${model.name}/${version.version}${version.manifestPath === undefined ? '' : ' +manifest'} -> ${path.relative(root, version.modelPath)}`,
      ),
    ),
    warnings: scanned.warnings.map((warning) => warning.replaceAll(`${root}${path.sep}`, '')),
  };
}

describe('scanModelRepository follows symbolic links', () => {
  it.each<[string, Record<string, Entry>, string[]]>([
    [
      'a linked model folder',
      { 'store/penguins/1/model.onnx': 'x', 'repo/penguins': { link: '../store/penguins' } },
      ['penguins/1 -> penguins/1/model.onnx'],
    ],
    [
      'a linked version folder',
      { 'store/v3/model.onnx': 'x', 'repo/penguins/1/model.onnx': 'x', 'repo/penguins/3': { link: '../../store/v3' } },
      ['penguins/1 -> penguins/1/model.onnx', 'penguins/3 -> penguins/3/model.onnx'],
    ],
    [
      'a linked model file and manifest',
      {
        'store/penguins.onnx': 'x',
        'store/penguins.json': '{}',
        'repo/penguins/1/model.onnx': { link: '../../../store/penguins.onnx' },
        'repo/penguins/1/model.json': { link: '../../../store/penguins.json' },
      },
      ['penguins/1 +manifest -> penguins/1/model.onnx'],
    ],
  ])('lists %s', (_case, entries, models) => {
    const root = path.join(repository(entries), 'repo');
    expect(summary(root)).toEqual({ models, warnings: [] });
  });

  it.each<[string, Record<string, Entry>]>([
    ['a model folder', { 'repo/penguins': { link: '../gone' } }],
    ['a version folder', { 'repo/penguins/1': { link: '../../gone' } }],
    ['a model file', { 'repo/penguins/1/model.onnx': { link: 'gone.onnx' } }],
    ['a file at the root', { 'repo/alpha/1/model.onnx': 'x', 'repo/notes.txt': { link: 'gone.txt' } }],
  ])('fails on a broken link to %s, naming the link and its target', (_case, entries) => {
    const root = path.join(repository(entries), 'repo');
    expect(() => scanModelRepository(root)).toThrow(
      /is a symbolic link to \S*gone\S*, which does not exist.*fix the link or remove it/,
    );
  });
});

describe('scanModelRepository reports what cannot be a model', () => {
  it('skips hidden entries and READMEs without a word', () => {
    const root = repository({
      'README.md': '# my models',
      '.git/HEAD': 'ref',
      '.DS_Store': '',
      'penguins/README': 'model card',
      'penguins/.DS_Store': '',
      'penguins/1/model.onnx': 'x',
      'penguins/1/.ipynb_checkpoints/': '',
    });
    expect(summary(root)).toEqual({ models: ['penguins/1 -> penguins/1/model.onnx'], warnings: [] });
  });

  it("lists a version's golden set without a warning", () => {
    const root = repository({
      'penguins/1/model.onnx': 'x',
      'penguins/1/golden.json': '{}',
      'penguins/2/model.onnx': 'x',
    });
    const { models, warnings } = scanModelRepository(root);
    expect(warnings).toEqual([]);
    expect(models[0].versions.map((version) => version.goldenSetPath)).toEqual([
      path.join(root, 'penguins', '1', 'golden.json'),
      undefined,
    ]);
  });

  it.each<[string, Record<string, Entry>, string]>([
    [
      'a stray file at the root',
      { 'notes.txt': '', 'penguins/1/model.onnx': 'x' },
      'notes.txt is ignored: the repository root holds only model folders (<name>/<version>/model.onnx); move or delete it',
    ],
    [
      'a model file at the root',
      { 'iris.onnx': '', 'penguins/1/model.onnx': 'x' },
      'iris.onnx is ignored: the repository root holds only model folders (<name>/<version>/model.onnx); move it to iris/1/model.onnx',
    ],
    [
      'a stray file in a model folder (a Triton config)',
      { 'penguins/config.pbtxt': '', 'penguins/1/model.onnx': 'x' },
      `${path.join('penguins', 'config.pbtxt')} is ignored: a model folder holds only version folders (1, 2, ...); move or delete it`,
    ],
    [
      'a stray file in a version folder',
      { 'penguins/1/model.onnx': 'x', 'penguins/1/labels.txt': '' },
      `${path.join('penguins', '1', 'labels.txt')} is ignored: only model.onnx, model.json and golden.json of a version folder are used; move or delete it`,
    ],
  ])('warns about %s and still lists the models', (_case, entries, warning) => {
    expect(summary(repository(entries))).toEqual({
      models: ['penguins/1 -> penguins/1/model.onnx'],
      warnings: [warning],
    });
  });

  it.each<[string, Record<string, Entry>, string, RegExp]>([
    [
      'a model folder pointed at directly',
      { 'penguins/1/model.onnx': 'x', 'penguins/1/model.json': '{}' },
      'penguins',
      /penguins holds 1\/model\.onnx, so it is a model folder, not a model repository: point at its parent \(\S+\)/,
    ],
    [
      'a version folder pointed at directly',
      { 'penguins/2/model.onnx': 'x' },
      'penguins/2',
      /2 holds model\.onnx, so it is a version folder, not a model repository: point at the folder two levels up/,
    ],
    [
      'a model file with another name',
      { 'penguins/1/model_quantized.onnx': 'x' },
      '',
      /penguins\/1 has no model\.onnx: found model_quantized\.onnx; rename it to model\.onnx$/,
    ],
    [
      'several model files with other names',
      { 'penguins/1/a.onnx': 'x', 'penguins/1/b.onnx': 'x' },
      '',
      /has no model\.onnx: found a\.onnx, b\.onnx; rename the one to serve to model\.onnx/,
    ],
    [
      'a version folder without any model',
      { 'penguins/1/': '' },
      '',
      /penguins\/1 has no model\.onnx: export the model to ONNX and save it there as model\.onnx/,
    ],
    [
      'a model file directly in the model folder',
      { 'penguins/model.onnx': 'x' },
      '',
      /model folder \S+penguins has no version folders but holds model\.onnx directly: put the model at penguins\/1\/model\.onnx/,
    ],
    [
      'a folder named model.onnx',
      { 'penguins/1/model.onnx/': '' },
      '',
      /model\.onnx is a directory, not a regular file/,
    ],
    [
      'a broken model.json in a version that is not the highest',
      { 'penguins/1/model.onnx': 'x', 'penguins/1/model.json': '{"labels": [', 'penguins/2/model.onnx': 'x' },
      '',
      /penguins\/1\/model\.json is not valid JSON \(.+\); fix or delete it$/,
    ],
    [
      'a model.json that is not an object',
      { 'penguins/1/model.onnx': 'x', 'penguins/1/model.json': '["adelie"]' },
      '',
      /penguins\/1\/model\.json must hold a JSON object, got an array$/,
    ],
    [
      '_tmp as a model name',
      { '_tmp/1/model.onnx': 'x' },
      '',
      /model folder "_tmp" in \S+ is not a valid model name: it must start with a lowercase letter or digit, not "_"; rename the folder/,
    ],
    [
      'an uppercase model name',
      { 'Penguins v2/1/model.onnx': 'x' },
      '',
      /"Penguins v2" .* it must start with a lowercase letter or digit, not "P"/,
    ],
    [
      'a version with a leading zero',
      { 'penguins/01/model.onnx': 'x' },
      '',
      /version folder "penguins\/01" .* it must not start with 0 \(use 1\)/,
    ],
  ])('fails on %s with a message that says what to do', (_case, entries, pointAt, message) => {
    const root = path.join(repository(entries), pointAt);
    expect(() => scanModelRepository(root)).toThrow(message);
  });
});

describe('scanModelRepository never opens what is not a regular file', () => {
  it.each(['model.onnx', 'model.json'])('fails on a FIFO named %s, naming it', (file) => {
    const root = repository({ 'penguins/1/model.onnx': 'x' });
    const fifo = path.join(root, 'penguins', '1', file);
    rmSync(fifo, { force: true });
    execFileSync('mkfifo', [fifo]);
    expect(() => scanModelRepository(root)).toThrow(
      `${fifo} is a FIFO (named pipe), not a regular file: replace it with the file itself or a link to it`,
    );
  });

  it('fails on a link to a FIFO, naming the link', () => {
    const root = repository({ 'penguins/1/model.onnx': { link: '../../pipe' } });
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    expect(() => scanModelRepository(root)).toThrow(
      `${path.join(root, 'penguins', '1', 'model.onnx')} is a FIFO (named pipe), not a regular file`,
    );
  });
});

describe('naming rules in words', () => {
  it.each([
    ['penguins', undefined],
    ['2024-model_b', undefined],
    ['_tmp', 'it must start with a lowercase letter or digit, not "_"'],
    ['-x', 'it must start with a lowercase letter or digit, not "-"'],
    ['my.model', 'it may hold only lowercase letters, digits, "-" and "_", not "."'],
    ['aB c', 'it may hold only lowercase letters, digits, "-" and "_", not "B", " "'],
  ])('model name %j: %s', (name, problem) => {
    expect(modelNameProblem(name)).toBe(problem);
  });

  it.each([
    ['1', undefined],
    ['42', undefined],
    ['0', 'it is not a positive integer (versions start at 1)'],
    ['007', 'it must not start with 0 (use 7)'],
    ['v1', 'it is not a positive integer (name versions 1, 2, 3 ...)'],
  ])('version %j: %s', (version, problem) => {
    expect(modelVersionProblem(version)).toBe(problem);
  });
});
