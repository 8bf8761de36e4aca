import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { ModelRegistry } from '../../../lambda/model/model-registry';
import { FileModelSource, type ModelSource } from '../../../lambda/model/model-source';
import { logger } from '../../../lambda/observability';
import { NotFoundError } from '../../../lambda/protocol/errors';
import { allDatatypesModel, writeRepository } from '../../fixtures/test-models';

const PENGUINS = path.join(__dirname, '..', '..', '..', 'models', 'penguins', '1', 'model.onnx');

beforeEach(() => {
  jest.spyOn(logger, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

/** Counts reads, so a test can tell a shared load from two loads. */
class CountingSource implements ModelSource {
  reads = 0;
  readonly location = 'memory';
  constructor(
    readonly name: string,
    readonly version: string,
    private readonly bytes: () => Uint8Array,
  ) {}
  async readBytes(): Promise<Uint8Array> {
    this.reads += 1;
    return this.bytes();
  }
}

it('serves the highest version by default and any version by name', async () => {
  const registry = new ModelRegistry([
    new CountingSource('m', '2', allDatatypesModel),
    new CountingSource('m', '10', () => readFileSync(PENGUINS)),
    new CountingSource('m', '1', allDatatypesModel),
  ]);
  expect(registry.versionsOf('m')).toEqual(['1', '2', '10']);
  expect((await registry.get('m')).spec.version).toBe('10');
  expect((await registry.get('m', '2')).spec.version).toBe('2');
  await registry.release();
});

it('shares one load between concurrent requests and keeps the session afterwards', async () => {
  const source = new CountingSource('m', '1', () => readFileSync(PENGUINS));
  const registry = new ModelRegistry([source]);
  const [a, b] = await Promise.all([registry.get('m'), registry.get('m')]);
  expect(a).toBe(b);
  await registry.get('m');
  expect(source.reads).toBe(1);
  await registry.release();
});

it.each([
  ['an unknown model', 'other', undefined, /unknown model "other"; this endpoint serves: m/],
  ['an unknown version', 'm', '3', /model "m" has no version 3; available versions: 1/],
])('rejects %s with NotFoundError', async (_case, name, version, message) => {
  const registry = new ModelRegistry([new CountingSource('m', '1', allDatatypesModel)]);
  await expect(registry.get(name, version)).rejects.toThrow(NotFoundError);
  await expect(registry.get(name, version)).rejects.toThrow(message);
  await expect(registry.tryLoad(name, version)).rejects.toThrow(NotFoundError);
});

it('retries a failed load on the next request instead of caching the failure', async () => {
  const root = writeRepository({});
  const modelPath = path.join(root, 'penguins', '1', 'model.onnx');
  const registry = new ModelRegistry([new FileModelSource('penguins', '1', modelPath)]);
  await expect(registry.get('penguins')).rejects.toMatchObject({ statusCode: 503 });
  expect(registry.allLoaded).toBe(false);

  mkdirSync(path.dirname(modelPath), { recursive: true });
  copyFileSync(PENGUINS, modelPath);
  expect((await registry.get('penguins')).spec.name).toBe('penguins');
  expect(registry.allLoaded).toBe(true);
  await registry.release();
  rmSync(root, { recursive: true });
});

it('reports every broken model from loadAll without stopping the others', async () => {
  const registry = new ModelRegistry([
    new CountingSource('good', '1', allDatatypesModel),
    new CountingSource('broken', '1', () => new TextEncoder().encode('not an onnx model')),
  ]);
  const failures = await registry.loadAll();
  expect(failures.map(({ source, error }) => [source.name, error.message])).toEqual([
    ['broken', expect.stringMatching(/model broken version 1 is not a valid ONNX model/)],
  ]);
  expect(await registry.tryLoad('good')).toBe(true);
  await registry.release();
});
