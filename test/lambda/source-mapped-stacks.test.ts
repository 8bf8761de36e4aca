import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

// A minified ES module bundle, as the handler is deployed, run by a plain node without --enable-source-maps: its
// stack traces must still point at the TypeScript source, through the map read when the stack is formatted.
const directory = fs.mkdtempSync(path.join(tmpdir(), 'mapped-stacks-'));
const entry = path.join(directory, 'entry.ts');
const bundle = path.join(directory, 'index.mjs');

beforeAll(() => {
  fs.writeFileSync(
    entry,
    [
      `import { mapStacksOfBundle } from ${JSON.stringify(path.resolve(__dirname, '../../lambda/source-mapped-stacks'))};`,
      'mapStacksOfBundle(import.meta.url);',
      'function loadModel(name: string): never {',
      "  throw new RangeError('cannot load ' + name);",
      '}',
      "try { loadModel('mnist'); } catch (error) { console.log((error as Error).stack); }",
    ].join('\n'),
  );
  buildSync({
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'error',
  });
});

afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

const run = () =>
  execFileSync(process.execPath, [bundle], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });

it('maps the stack of an error thrown in the bundle to the TypeScript line', () => {
  const stack = run();
  expect(stack.split('\n')[0]).toBe('RangeError: cannot load mnist');
  expect(stack).toMatch(/entry\.ts:4:9\)?\n/);
  expect(stack).not.toContain('index.mjs:');
});

it('leaves the stack as V8 writes it when no map lies beside the bundle', () => {
  fs.renameSync(`${bundle}.map`, `${bundle}.map.gone`);
  try {
    const stack = run();
    expect(stack.split('\n')[0]).toBe('RangeError: cannot load mnist');
    expect(stack).toContain('index.mjs:');
  } finally {
    fs.renameSync(`${bundle}.map.gone`, `${bundle}.map`);
  }
});
