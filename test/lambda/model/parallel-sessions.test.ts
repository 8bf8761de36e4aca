import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { loadOnnxModel, POOLED_SESSION_OPTIONS, parallelSessionOptions } from '../../../lambda/model/onnx-model';
import {
  BIG_MODEL_MEMORY_SHARE,
  PARALLEL_MODEL_MIN_BYTES,
  serverPlacement,
} from '../../../lambda/model/server-placement';
import { withCountedRuns } from '../../../lambda/model/server-runs';
import { BIG_MODELS_MAX, type WorkerModel, WorkerPool } from '../../../lambda/model/worker-pool';
import type { Tensor } from '../../../lambda/protocol/tensor';
import { seededRandom } from '../../../scripts/train/seeded-random';
import {
  intsAttribute,
  type OperatorCase,
  operatorModel,
  seededValues,
  slowMatMulModel,
} from '../../fixtures/test-models';
import { demoModelFile } from '../../support/demo-models';

const REPO_ROOT = path.join(__dirname, '..', '..', '..');
const WORKER_SCRIPT = `require('tsx/cjs/api').register(); require(${JSON.stringify(
  path.join(REPO_ROOT, 'lambda', 'model', 'onnx-worker.ts'),
)});`;

// 1.1 MB of weights: a big model by PARALLEL_MODEL_MIN_BYTES, small enough to load fast.
const BIG = slowMatMulModel(524, 1);
const PENGUINS = readFileSync(demoModelFile('penguins'));
const rows = (count: number): Tensor[] => {
  const data = new Float32Array(count * 524);
  for (let index = 0; index < data.length; index++) data[index] = (index % 97) / 97 - 0.5;
  return [{ name: 'x', datatype: 'FP32', shape: [count, 524], data }];
};

function threadCount(): number {
  return readdirSync('/proc/self/task').length;
}

describe('parallel sessions for big models', () => {
  it('are given by the server placement to models from PARALLEL_MODEL_MIN_BYTES only', async () => {
    expect(BIG.byteLength).toBeGreaterThanOrEqual(PARALLEL_MODEL_MIN_BYTES);
    expect(PENGUINS.byteLength).toBeLessThan(PARALLEL_MODEL_MIN_BYTES);
    const place = serverPlacement(() => false, { parallelThreads: 2 });
    // One model per worker the pool may start (one per core), so that every worker runs before the count.
    const models = [];
    for (let index = 0; index < availableParallelism(); index++) models.push(await place('warm', `${index}`, PENGUINS));
    try {
      const started = threadCount();
      models.push(await place('penguins', '1', PENGUINS));
      const withSmall = threadCount();
      models.push(await place('big', '1', BIG));
      // A small model adds no thread; a big one its parallel session's one (two threads: the worker's and it).
      expect(withSmall - started).toBe(0);
      expect(threadCount() - withSmall).toBe(1);
    } finally {
      await Promise.all(models.map((model) => model.release()));
    }
  });

  it('answer exactly as the one-thread session does, alone or not, and bring one thread per core but one', async () => {
    const reference = await loadOnnxModel('big', '1', BIG, POOLED_SESSION_OPTIONS);
    const pool = new WorkerPool(WORKER_SCRIPT, 1);
    const sequential = await pool.load('big', '1', BIG);
    const withSequential = threadCount();
    const parallel = await pool.load('big', '2', BIG, { parallelThreads: 3 });
    try {
      // In the same worker: two intra-op threads of its own, three with the worker's; none for a one-thread session.
      expect(threadCount() - withSequential).toBe(2);
      const another = await pool.load('big', '3', BIG);
      expect(threadCount() - withSequential).toBe(2);
      await another.release();
      expect(pool.bigModelCount).toBe(1);
      const expected = (await reference.run(rows(64), ['y']))[0].data;
      for (const alone of [true, false]) {
        expect((await parallel.runTimed(rows(64), ['y'], alone)).outputs[0].data).toEqual(expected);
        expect((await sequential.runTimed(rows(64), ['y'], alone)).outputs[0].data).toEqual(expected);
      }
    } finally {
      await Promise.all([sequential.release(), parallel.release(), reference.release()]);
    }
    expect(pool.bigModelCount).toBe(0);
    expect(pool.threads).toBe(0);
  });

  it(`go to the first ${BIG_MODELS_MAX} models loaded, and a released model's place to the next`, async () => {
    const pool = new WorkerPool(WORKER_SCRIPT, 2);
    const models: WorkerModel[] = [];
    try {
      for (const version of ['1', '2', '3']) models.push(await pool.load('big', version, BIG, { parallelThreads: 2 }));
      expect(pool.bigModelCount).toBe(BIG_MODELS_MAX);
      await models.shift()?.release();
      expect(pool.bigModelCount).toBe(BIG_MODELS_MAX - 1);
      models.push(await pool.load('big', '4', BIG, { parallelThreads: 2 }));
      expect(pool.bigModelCount).toBe(BIG_MODELS_MAX);
    } finally {
      await Promise.all(models.map((model) => model.release()));
    }
    expect(pool.bigModelCount).toBe(0);
  });

  it('come with a session on every worker asked for, and runs that overlap spread over them', async () => {
    const reference = await loadOnnxModel('big', '1', BIG, POOLED_SESSION_OPTIONS);
    const pool = new WorkerPool(WORKER_SCRIPT, 2);
    const model = await pool.load('big', '1', BIG, { parallelThreads: 2, replicas: 2 });
    const small = await pool.load('big', '2', BIG, { replicas: 2 });
    try {
      expect(pool.threads).toBe(2);
      const expected = (await reference.run(rows(256), ['y']))[0].data;
      const runs = [model.runTimed(rows(256), ['y']), model.runTimed(rows(256), ['y'])];
      // One waiting on each worker, not two on one.
      expect(pool.runsWaiting).toEqual([1, 1]);
      for (const run of await Promise.all(runs)) expect(run.outputs[0].data).toEqual(expected);
      // Only while big-model places are free: the second model above took the last, so a third gets one worker.
      const third = await pool.load('big', '3', BIG, { replicas: 2 });
      const overlapping = [third.runTimed(rows(8), ['y']), third.runTimed(rows(8), ['y'])];
      expect(pool.runsWaiting.reduce((most, count) => Math.max(most, count), 0)).toBe(2);
      await Promise.all(overlapping);
      await third.release();
    } finally {
      await Promise.all([model.release(), small.release(), reference.release()]);
    }
    expect(pool.threads).toBe(0);
  });

  it('are used by runs alone in the server: a pool-only model tells the worker when its run is alone', async () => {
    const pool = new WorkerPool(WORKER_SCRIPT, 1);
    const pooled = await pool.load('big', '1', BIG, { parallelThreads: 2 });
    const told: boolean[] = [];
    const model = withCountedRuns({
      spec: pooled.spec,
      isAlive: true,
      run: pooled.run,
      release: pooled.release,
      runTimed: (inputs, outputNames, alone) => {
        told.push(alone ?? false);
        return pooled.runTimed(inputs, outputNames, alone);
      },
    });
    try {
      await model.run(rows(1), ['y']);
      await Promise.all([model.run(rows(1), ['y']), model.run(rows(1), ['y'])]);
      expect(told).toEqual([true, true, false]);
    } finally {
      await model.release();
    }
  });

  it('are not given when the process has no memory for an extra session, as a small serverless endpoint', async () => {
    // Room within BIG_MODEL_MEMORY_SHARE for half of an extra session, counted at 3x the file.
    const memoryBytes = (3 * BIG.byteLength * 0.5) / BIG_MODEL_MEMORY_SHARE;
    const place = serverPlacement(() => false, { parallelThreads: 2, memoryBytes });
    const models = [];
    for (let index = 0; index < availableParallelism(); index++) models.push(await place('warm', `${index}`, PENGUINS));
    try {
      const started = threadCount();
      models.push(await place('big', '1', BIG));
      expect(threadCount() - started).toBe(0);
    } finally {
      await Promise.all(models.map((model) => model.release()));
    }
  });

  // Operators whose work ONNX Runtime splits over its intra-op threads at these sizes (timed at these sizes or twice
  // them: softmax, layer norm and the row mean ran 1.6-2.3x faster on two threads), and the products and convolution
  // big models are made of.
  // A parallel split that changed the order of a sum would change the last bits of the answer; none may.
  const OPERATORS: OperatorCase[] = [
    {
      label: 'MatMul, one row, long inner dimension',
      node: { opType: 'MatMul', input: ['x', 'w'], output: ['y'] },
      input: [1, 65536],
      output: [1, 8],
      weights: { w: [65536, 8] },
    },
    {
      label: 'Gemm with bias',
      node: { opType: 'Gemm', input: ['x', 'w', 'b'], output: ['y'] },
      input: [4, 2048],
      output: [4, 2048],
      weights: { w: [2048, 2048], b: [2048] },
    },
    {
      label: 'ReduceMean over a long row',
      node: { opType: 'ReduceMean', input: ['x'], output: ['y'], attribute: [intsAttribute('axes', [1])] },
      input: [2, 1048576],
      output: [2, 1],
    },
    {
      label: 'Softmax',
      node: { opType: 'Softmax', input: ['x'], output: ['y'] },
      input: [4, 262144],
      output: [4, 262144],
    },
    {
      label: 'LayerNormalization',
      node: { opType: 'LayerNormalization', input: ['x', 's', 'b'], output: ['y'] },
      input: [4, 262144],
      output: [4, 262144],
      weights: { s: [262144], b: [262144] },
    },
    {
      label: 'Conv 3x3',
      node: { opType: 'Conv', input: ['x', 'w'], output: ['y'], attribute: [intsAttribute('pads', [1, 1, 1, 1])] },
      input: [1, 32, 64, 64],
      output: [1, 32, 64, 64],
      weights: { w: [32, 32, 3, 3] },
    },
  ];

  it.each(OPERATORS)('answer bit for bit as the one-thread session does: $label', async (operator) => {
    const bytes = operatorModel(operator);
    const oneThread = await loadOnnxModel('operator', '1', bytes, POOLED_SESSION_OPTIONS);
    const parallel = await loadOnnxModel('operator', '2', bytes, parallelSessionOptions(2));
    try {
      const data = seededValues(operator.input, seededRandom(7));
      const inputs: Tensor[] = [{ name: 'x', datatype: 'FP32', shape: operator.input, data }];
      const expected = (await oneThread.run(inputs, ['y']))[0].data as Float32Array;
      const answered = (await parallel.run(inputs, ['y']))[0].data as Float32Array;
      expect(answered).toHaveLength(expected.length);
      // Compared as bits: toEqual would call -0 and 0 equal, and walks a million elements slowly.
      expect(Buffer.from(answered.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    } finally {
      await Promise.all([oneThread.release(), parallel.release()]);
    }
  });

  it('serve a big model placed by the server as the one-thread session does', async () => {
    const reference = await loadOnnxModel('big', '1', BIG, POOLED_SESSION_OPTIONS);
    const model = await serverPlacement(() => false, { parallelThreads: 2 })('big', '1', BIG);
    try {
      expect((await model.run(rows(8), ['y']))[0].data).toEqual((await reference.run(rows(8), ['y']))[0].data);
    } finally {
      await Promise.all([model.release(), reference.release()]);
    }
  });
});
