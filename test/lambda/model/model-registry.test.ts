import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import {
  MAX_RETRY_DELAY_MS,
  ModelRegistry,
  type ModelRegistryOptions,
  retryDelayMs,
} from '../../../lambda/model/model-registry';
import { FileModelSource, type ModelSource } from '../../../lambda/model/model-source';
import { onnxBackends } from '../../../lambda/model/onnx-backend';
import { loadOnnxModel } from '../../../lambda/model/onnx-model';
import { logger } from '../../../lambda/observability';
import { NotFoundError, ServiceUnavailableError } from '../../../lambda/protocol/errors';
import { allDatatypesModel, writeRepository } from '../../fixtures/test-models';
import { demoModelFile } from '../../support/demo-models';

/** A registry of ONNX Runtime models on the main thread, as the Lambda handler builds it. */
const registryOf = (sources: ModelSource[], options?: ModelRegistryOptions) =>
  new ModelRegistry(onnxBackends(sources, loadOnnxModel), options);

const PENGUINS = demoModelFile('penguins');

beforeEach(() => {
  jest.spyOn(logger, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

/** A clock the test moves by hand, so backoffs are stepped through without waiting. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let at = 0;
  return { now: () => at, advance: (ms) => (at += ms) };
}

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
  const registry = registryOf([
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
  const registry = registryOf([source]);
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
  const registry = registryOf([new CountingSource('m', '1', allDatatypesModel)]);
  await expect(registry.get(name, version)).rejects.toThrow(NotFoundError);
  await expect(registry.get(name, version)).rejects.toThrow(message);
  await expect(registry.tryLoad(name, version)).rejects.toThrow(NotFoundError);
});

it('retries a failed load on the first request after the backoff instead of caching the failure', async () => {
  const root = writeRepository({});
  const modelPath = path.join(root, 'penguins', '1', 'model.onnx');
  const clock = manualClock();
  const registry = registryOf([new FileModelSource('penguins', '1', modelPath)], { now: clock.now });
  await expect(registry.get('penguins')).rejects.toMatchObject({ statusCode: 503, retryAfterSeconds: 1 });
  expect(registry.allLoaded).toBe(false);

  clock.advance(1000);
  mkdirSync(path.dirname(modelPath), { recursive: true });
  copyFileSync(PENGUINS, modelPath);
  expect((await registry.get('penguins')).spec.name).toBe('penguins');
  expect(registry.allLoaded).toBe(true);
  await registry.release();
  rmSync(root, { recursive: true });
});

it('reports every broken model from loadAll without stopping the others', async () => {
  const registry = registryOf([
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

it.each([
  [1, 1_000],
  [2, 2_000],
  [3, 4_000],
  [5, 16_000],
  [6, MAX_RETRY_DELAY_MS],
  [40, MAX_RETRY_DELAY_MS],
])('waits %i consecutive failures -> %i ms before the next load attempt', (failures, delayMs) => {
  expect(retryDelayMs(failures)).toBe(delayMs);
});

it('answers 503 with Retry-After within the backoff without reading the artifact again', async () => {
  const clock = manualClock();
  const source = new CountingSource('broken', '1', () => new TextEncoder().encode('not an onnx model'));
  const registry = registryOf([source], { now: clock.now });
  const expectations: Array<[advanceMs: number, reads: number, retryAfterSeconds: number]> = [
    [0, 1, 1], // first failure: next attempt in 1 s
    [999, 1, 1], // still within it: no read, 1 ms left rounds up to 1 s
    [1, 2, 2], // backoff over: read again, failed again, next in 2 s
    [1_000, 2, 1],
    [1_000, 3, 4],
    [4_000, 4, 8],
  ];
  for (const [advanceMs, reads, retryAfterSeconds] of expectations) {
    clock.advance(advanceMs);
    const failure = await registry.get('broken').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ServiceUnavailableError);
    expect(failure).toMatchObject({ statusCode: 503, retryAfterSeconds });
    expect(source.reads).toBe(reads);
  }
  // The readiness probe respects the backoff too, reporting the last failure without a read.
  const failures = await registry.loadAll();
  expect(failures.map(({ error }) => error.message)).toEqual([expect.stringMatching(/not a valid ONNX model/)]);
  expect(source.reads).toBe(4);
});

it('starts the backoff from 1 s again after a successful load', async () => {
  const clock = manualClock();
  let broken = true;
  const source = new CountingSource('m', '1', () =>
    broken ? new TextEncoder().encode('not an onnx model') : readFileSync(PENGUINS),
  );
  const registry = registryOf([source], { now: clock.now });
  await expect(registry.get('m')).rejects.toMatchObject({ retryAfterSeconds: 1 });
  clock.advance(1_000);
  await expect(registry.get('m')).rejects.toMatchObject({ retryAfterSeconds: 2 });
  broken = false;
  clock.advance(2_000);
  expect((await registry.get('m')).spec.name).toBe('m');
  // Dropping the session makes the next request load again, and this load fails afresh.
  await registry.release();
  broken = true;
  await expect(registry.get('m')).rejects.toMatchObject({ retryAfterSeconds: 1 });
});
