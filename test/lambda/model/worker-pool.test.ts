import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ModelRegistry } from '../../../lambda/model/model-registry';
import type { ModelSource } from '../../../lambda/model/model-source';
import { onnxBackends } from '../../../lambda/model/onnx-backend';
import { loadOnnxModelInWorker } from '../../../lambda/model/worker-model';
import { WorkerPool } from '../../../lambda/model/worker-pool';
import type { Tensor } from '../../../lambda/protocol/tensor';
import { demoModelFile } from '../../support/demo-models';

const PENGUINS = readFileSync(demoModelFile('penguins'));
const REPO_ROOT = path.join(__dirname, '..', '..', '..');
const WORKER_SCRIPT = `require('tsx/cjs/api').register(); require(${JSON.stringify(
  path.join(REPO_ROOT, 'lambda', 'model', 'onnx-worker.ts'),
)});`;

const penguin: Tensor[] = [
  { name: 'features', datatype: 'FP32', shape: [1, 4], data: Float32Array.of(39.1, 18.7, 181, 3750) },
];

/** Counts reads, so a test can tell a model loaded again from one still loaded. */
class CountingSource implements ModelSource {
  reads = 0;
  readonly location = 'memory';
  constructor(readonly name: string) {}
  readonly version = '1';
  async readBytes(): Promise<Uint8Array> {
    this.reads += 1;
    return PENGUINS;
  }
}

describe('the worker pool', () => {
  it('serves many models on at most its size of threads, and stops its threads once they host none', async () => {
    const pool = new WorkerPool(WORKER_SCRIPT, 2);
    const models = await Promise.all(Array.from({ length: 12 }, (_, index) => pool.load(`p${index}`, '1', PENGUINS)));
    expect(pool.threads).toBe(2);
    const answers = await Promise.all(models.map((model) => model.run(penguin, ['label'])));
    expect(answers.map(([label]) => label.data)).toEqual(models.map(() => ['Adelie']));
    await Promise.all(models.map((model) => model.release()));
    expect(models.every((model) => !model.isAlive)).toBe(true);
    expect(pool.threads).toBe(0);
  });

  it('answers a run asked before an unload, then refuses runs of the unloaded model', async () => {
    const pool = new WorkerPool(WORKER_SCRIPT, 1);
    const model = await pool.load('penguins', '1', PENGUINS);
    const keep = await pool.load('kept', '1', PENGUINS);
    const run = model.run(penguin, ['label']);
    const release = model.release();
    expect((await run)[0].data).toEqual(['Adelie']);
    await release;
    await expect(model.run(penguin, ['label'])).rejects.toThrow('model penguins version 1 was unloaded');
    expect((await keep.run(penguin, ['label']))[0].data).toEqual(['Adelie']);
    await keep.release();
  });

  it('rejects a model ONNX Runtime cannot load, and stops the thread it started for it', async () => {
    const pool = new WorkerPool(WORKER_SCRIPT, 1);
    await expect(pool.load('broken', '1', new Uint8Array([1, 2, 3]))).rejects.toThrow();
    expect(pool.threads).toBe(0);
  });

  it('creates no session on the main thread: ONNX Runtime is never even loaded there', () => {
    // A process of its own: jest's module registry would hide what the main thread has required.
    const script = `
      const { loadOnnxModelInWorker } = require('./lambda/model/worker-model');
      const bytes = require('node:fs').readFileSync(${JSON.stringify(demoModelFile('penguins'))});
      loadOnnxModelInWorker('penguins', '1', bytes).then(async (model) => {
        const [label] = await model.run([{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [39.1, 18.7, 181, 3750] }], ['label']);
        const runtime = Object.keys(require.cache).filter((file) => file.includes('onnxruntime-node'));
        console.log(JSON.stringify({ label: label.data, runtime }));
        await model.release();
      });`;
    const child = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ label: ['Adelie'], runtime: [] });
  });
});

describe('a registry with maxLoadedModels', () => {
  it('releases the least recently used version to load another, and loads it again on its next request', async () => {
    const sources = ['a', 'b', 'c'].map((name) => new CountingSource(name));
    const registry = new ModelRegistry(onnxBackends(sources, loadOnnxModelInWorker), { maxLoadedModels: 2 });
    try {
      const a = await registry.get('a');
      await registry.get('b');
      await registry.get('a');
      // b is now the least recently used: loading c releases it, not a.
      await registry.get('c');
      await new Promise((resolve) => setImmediate(resolve));
      expect(registry.loadedCount).toBe(2);
      expect(a.isAlive).toBe(true);
      expect(sources.map((source) => source.reads)).toEqual([1, 1, 1]);
      // Released to make room is still ready: readiness and loadAll do not load it again.
      expect(registry.allLoaded).toBe(true);
      expect(await registry.loadAll()).toEqual([]);
      expect(sources.map((source) => source.reads)).toEqual([1, 1, 1]);
      const b = await registry.get('b');
      expect((await b.run(penguin, ['label']))[0].data).toEqual(['Adelie']);
      expect(sources.map((source) => source.reads)).toEqual([1, 2, 1]);
      expect(registry.loadedCount).toBe(2);
    } finally {
      await registry.release();
    }
  });

  it('loads every version once at startup while holding no more than the limit afterwards', async () => {
    const sources = Array.from({ length: 10 }, (_, index) => new CountingSource(`m${index}`));
    const registry = new ModelRegistry(onnxBackends(sources, loadOnnxModelInWorker), { maxLoadedModels: 3 });
    try {
      expect(await registry.loadAll()).toEqual([]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(sources.every((source) => source.reads === 1)).toBe(true);
      expect(registry.loadedCount).toBe(3);
      expect(registry.allLoaded).toBe(true);
    } finally {
      await registry.release();
    }
  });

  it('refuses a limit below 1', () => {
    expect(() => new ModelRegistry([], { maxLoadedModels: 0 })).toThrow(
      'maxLoadedModels must be a whole number of at least 1, got 0',
    );
  });
});
