import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseModelDescriptor } from '../../contract/model-descriptor';
import { EXPORT_WEB_USAGE, exportWeb } from '../../scripts/export-web/export-web';
import { DEMO_MODELS } from '../support/demo-models';
import { bundlesFolder } from './support/demo-bundles';

const REPOSITORY_ROOT = path.join(__dirname, '..', '..');

describe('npm run export:web', () => {
  it('writes the module, the one WebAssembly file it needs, the model, its descriptor and an example page, and lists their sizes', async () => {
    const out = path.join(bundlesFolder(), 'mnist');
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        'npm',
        ['run', '--silent', 'export:web', '--', 'mnist', '--models', DEMO_MODELS, '--out', out],
        { cwd: REPOSITORY_ROOT, timeout: 60_000 },
        (error, stdout, stderr) =>
          error === null ? resolve(stdout) : reject(new Error(`${error.message}\n${stderr}`)),
      );
    });
    expect(readdirSync(out).sort()).toEqual([
      'descriptor.json',
      'index.html',
      'model-endpoint.js',
      'model.onnx',
      'ort-wasm-simd-threaded.wasm',
    ]);
    expect(output).toContain(`exported mnist version 1 to ${out}`);
    expect(output).toMatch(/ort-wasm-simd-threaded\.wasm +\d+\.\d MiB/);
    expect(readFileSync(path.join(out, 'model.onnx'))).toEqual(
      readFileSync(path.join(DEMO_MODELS, 'mnist', '1', 'model.onnx')),
    );
    const descriptor = parseModelDescriptor(readFileSync(path.join(out, 'descriptor.json'), 'utf8'), 'descriptor.json');
    expect(descriptor).toMatchObject({ name: 'mnist', version: '1', inputs: [{ name: 'pixels', shape: [-1, 784] }] });
    // Nothing from a network when the bundle runs: no absolute URL in what the page and the module load.
    const page = readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(page).not.toMatch(/(src|href)="?(https?:)?\/\//);
    expect(page).toContain("import { infer, placement } from './model-endpoint.js'");
  });

  it.each([
    [['nothing'], `no model "nothing" in ${DEMO_MODELS} (models: mnist, penguins)`],
    [['penguins', '--version', '2'], `model "penguins" has no version "2" in ${DEMO_MODELS} (versions: 1)`],
    [['penguins', '--fallback-url', 'api.example.com'], '--fallback-url must be an http(s) URL'],
    [['penguins', 'mnist'], 'unexpected argument "mnist"; export one model at a time'],
    [[], 'name the model to export'],
  ])('fails for %j saying what to do', async (args, message) => {
    await expect(exportWeb([...args, '--models', DEMO_MODELS, '--out', bundlesFolder()], () => {})).rejects.toThrow(
      message,
    );
  });

  it('prints its usage for --help and writes nothing', async () => {
    const lines: string[] = [];
    await expect(exportWeb(['--help'], (line) => lines.push(line))).resolves.toBeUndefined();
    expect(lines).toEqual([EXPORT_WEB_USAGE]);
  });
});
