import { readFileSync } from 'node:fs';
import {
  ALONE_INLINE_RUN_BUDGET_MS,
  ALONE_INLINE_TRIAL_MAX_MS,
  INLINE_RUN_BUDGET_MS,
  INLINE_TRIAL_MAX_MS,
  RESAMPLE_EVERY,
  RunCosts,
  TRIAL_RUNS,
  withInlineRuns,
} from '../../../lambda/model/inline-runs';
import type { LoadedModel } from '../../../lambda/model/model-backend';
import { loadOnnxModel, POOLED_SESSION_OPTIONS } from '../../../lambda/model/onnx-model';
import { INLINE_MODEL_MAX_BYTES, serverPlacement } from '../../../lambda/model/server-placement';
import { loadOnnxModelInWorker, type WorkerModel } from '../../../lambda/model/worker-model';
import type { Tensor } from '../../../lambda/protocol/tensor';
import { slowMatMulModel } from '../../fixtures/test-models';
import { demoModelFile } from '../../support/demo-models';

const PENGUINS = readFileSync(demoModelFile('penguins'));

function penguins(rows: number): Tensor[] {
  const data = new Float32Array(rows * 4);
  for (let row = 0; row < rows; row++) data.set([39.1 + row, 18.7, 181, 3750], row * 4);
  return [{ name: 'features', datatype: 'FP32', shape: [rows, 4], data }];
}

/** The choices of `count` requests of one size, as I (inline) and P (pool), each run taking what its path says. */
function choices(costs: RunCosts, elements: number, count: number, inlineMs: number, poolMs: number, alone = false) {
  let path = '';
  for (let index = 0; index < count; index++) {
    const inline = costs.runsInline(elements, alone);
    path += inline ? 'I' : 'P';
    costs.record(elements, inline ? inlineMs : poolMs);
  }
  return path;
}

describe('RunCosts', () => {
  it('runs a size never seen in the pool, then tries it on the event loop, and keeps it there when cheap', () => {
    const costs = new RunCosts();
    expect(choices(costs, 4, 200, INLINE_RUN_BUDGET_MS / 4, INLINE_TRIAL_MAX_MS / 2)).toBe(`P${'I'.repeat(199)}`);
  });

  it('runs a size on the event loop at once when even its pool run was within the budget', () => {
    const costs = new RunCosts();
    expect(choices(costs, 4, 10, INLINE_RUN_BUDGET_MS / 4, INLINE_RUN_BUDGET_MS / 2)).toBe(`P${'I'.repeat(9)}`);
  });

  it('returns a size to the pool when its trial is over budget, and tries it again every RESAMPLE_EVERY runs', () => {
    const costs = new RunCosts();
    // The first run, a trial, RESAMPLE_EVERY - 1 pool runs, a trial, RESAMPLE_EVERY - 1 pool runs, a trial.
    const runs = 1 + 3 * TRIAL_RUNS + 2 * (RESAMPLE_EVERY - 1);
    const path = choices(costs, 4, runs, INLINE_RUN_BUDGET_MS * 3, INLINE_TRIAL_MAX_MS / 2);
    expect(path.slice(0, 1 + TRIAL_RUNS + 3)).toBe(`P${'I'.repeat(TRIAL_RUNS)}PPP`);
    // Each trial is TRIAL_RUNS runs: the first run after an idle spell is slow, one alone would not be fair.
    expect(path.match(/I/g)).toHaveLength(3 * TRIAL_RUNS);
  });

  it('keeps a size on the event loop through a burst of slow runs, and leaves only after many in a row', () => {
    const costs = new RunCosts();
    choices(costs, 4, 20, INLINE_RUN_BUDGET_MS / 4, INLINE_TRIAL_MAX_MS / 2);
    // A machine under load: every run is timed slow from now on.
    const path = choices(costs, 4, 40, INLINE_RUN_BUDGET_MS * 3, INLINE_RUN_BUDGET_MS * 3);
    expect(path).toMatch(/^I{5,}P+$/);
  });

  it('tries a size as soon as its pool runs are short enough, such as once its worker is warm', () => {
    const costs = new RunCosts();
    expect(choices(costs, 4, 3, 0, INLINE_TRIAL_MAX_MS * 2)).toBe('PPP');
    // The first short pool run is enough: the next run starts the trial.
    expect(choices(costs, 4, 3, INLINE_RUN_BUDGET_MS / 4, INLINE_TRIAL_MAX_MS / 2)).toBe('PII');
  });

  it('never tries on the event loop a size whose runs are long', () => {
    const costs = new RunCosts();
    expect(choices(costs, 4, 500, 0, INLINE_TRIAL_MAX_MS * 2)).toBe('P'.repeat(500));
  });

  it('runs a size over the budget on the event loop while no other run is in flight, and in the pool otherwise', () => {
    const costs = new RunCosts();
    const betweenBudgets = (INLINE_RUN_BUDGET_MS + ALONE_INLINE_RUN_BUDGET_MS) / 2;
    // One connection: every run is alone, and even a pool run timed between the budgets is worth keeping inline.
    expect(choices(costs, 4, 30, betweenBudgets, betweenBudgets, true)).toBe(`P${'I'.repeat(29)}`);
    // Sixteen connections: the same size goes to the pool, where it does not hold up the other requests.
    expect(choices(costs, 4, 30, betweenBudgets, betweenBudgets, false)).toMatch(/^P+$/);
    // A size whose pool runs are over the budget for runs alone, but within its trial bound, is tried there, and
    // stays when it runs within the budget (a worker's timing is an upper bound).
    const tried = new RunCosts();
    const overBudget = (ALONE_INLINE_RUN_BUDGET_MS + ALONE_INLINE_TRIAL_MAX_MS) / 2;
    expect(choices(tried, 4, 30, ALONE_INLINE_RUN_BUDGET_MS * 0.75, overBudget, true)).toBe(`P${'I'.repeat(29)}`);
    // A size over the trial bound for runs alone stays in the pool even then.
    const slow = new RunCosts();
    expect(choices(slow, 4, 30, 0, ALONE_INLINE_TRIAL_MAX_MS * 2, true)).toBe('P'.repeat(30));
  });

  it('decides per size: a cheap single row says nothing about a large batch', () => {
    const costs = new RunCosts();
    choices(costs, 4, 20, INLINE_RUN_BUDGET_MS / 4, INLINE_TRIAL_MAX_MS / 2);
    expect(costs.runsInline(4 * 1024)).toBe(false);
    expect(costs.runsInline(4)).toBe(true);
  });
});

describe('a model with inline runs', () => {
  it('answers exactly as ONNX Runtime does, whichever thread runs each request', async () => {
    const reference = await loadOnnxModel('penguins', '1', PENGUINS);
    const model = await serverPlacement(() => true)('penguins', '1', PENGUINS);
    try {
      expect('runTimed' in model).toBe(false);
      for (let round = 0; round < 40; round++) {
        const rows = 1 + (round % 5) * 7;
        const [label, probabilities] = await model.run(penguins(rows), ['label', 'probabilities']);
        const [expectedLabel, expectedProbabilities] = await reference.run(penguins(rows), ['label', 'probabilities']);
        expect(label.data).toEqual(expectedLabel.data);
        expect(probabilities.data).toEqual(expectedProbabilities.data);
      }
    } finally {
      await model.release();
      await reference.release();
    }
  });

  /** A small model with inline runs whose pool runs are counted (the real pooled model, counting its runs). */
  async function countingModel(bytes: Uint8Array): Promise<{ model: LoadedModel; poolRuns: () => number }> {
    const pooled = await loadOnnxModelInWorker('m', '1', bytes);
    const inline = await loadOnnxModel('m', '1', bytes, POOLED_SESSION_OPTIONS);
    let runs = 0;
    const counted: WorkerModel = {
      ...pooled,
      get isAlive() {
        return pooled.isAlive;
      },
      runTimed: (inputs, outputs, alone) => {
        runs += 1;
        return pooled.runTimed(inputs, outputs, alone);
      },
    };
    return { model: withInlineRuns(counted, inline), poolRuns: () => runs };
  }

  it('runs the first requests of a size in the pool, then on the calling thread', async () => {
    const { model, poolRuns } = await countingModel(PENGUINS);
    try {
      await model.run(penguins(1), ['label']);
      expect(poolRuns()).toBe(1);
      // A pool worker's first runs can be slow enough to put off a trial (a cold thread): a few runs warm it.
      for (let run = 0; run < 20; run++) expect((await model.run(penguins(1), ['label']))[0].data).toEqual(['Adelie']);
      expect(poolRuns()).toBeLessThan(1 + 20);
    } finally {
      await model.release();
    }
    expect(model.isAlive).toBe(false);
  });

  it('tells a run that it is alone only when no other run is in flight, on this model or another', async () => {
    /** Records whether each run was told it is alone; the choice itself is RunCosts' own. */
    class RecordedCosts extends RunCosts {
      readonly alone: boolean[] = [];
      override runsInline(elements: number, alone = false): boolean {
        this.alone.push(alone);
        return super.runsInline(elements, alone);
      }
    }
    const first = new RecordedCosts();
    const second = new RecordedCosts();
    const pooled = await loadOnnxModelInWorker('penguins', '1', PENGUINS);
    const modelA = withInlineRuns(
      pooled,
      await loadOnnxModel('penguins', '1', PENGUINS, POOLED_SESSION_OPTIONS),
      first,
    );
    const modelB = withInlineRuns(
      await loadOnnxModelInWorker('penguins', '2', PENGUINS),
      await loadOnnxModel('penguins', '2', PENGUINS, POOLED_SESSION_OPTIONS),
      second,
    );
    try {
      for (let run = 0; run < 3; run++) await modelA.run(penguins(1), ['label']);
      expect(first.alone).toEqual([true, true, true]);
      await Promise.all([modelA.run(penguins(1), ['label']), modelA.run(penguins(1), ['label'])]);
      await Promise.all([modelA.run(penguins(1), ['label']), modelB.run(penguins(1), ['label'])]);
      expect(first.alone.slice(3)).toEqual([true, false, true]);
      expect(second.alone).toEqual([false]);
      // A failed run is no longer in flight either.
      await expect(modelA.run([], ['label'])).rejects.toThrow();
      await modelB.run(penguins(1), ['label']);
      expect(second.alone).toEqual([false, true]);
    } finally {
      await Promise.all([modelA.release(), modelB.release()]);
    }
  });

  it('keeps the long runs of a small model in the pool: the event loop never runs them', async () => {
    // 256 kB of weights, but a batch of 1,024 rows through eight 256-wide MatMuls (a billion multiply-adds) takes
    // tens of milliseconds: over the budget even for a run alone in the server, as each of these is.
    const { model, poolRuns } = await countingModel(slowMatMulModel(256, 8));
    const batch: Tensor[] = [
      { name: 'x', datatype: 'FP32', shape: [1024, 256], data: new Float32Array(1024 * 256).fill(1) },
    ];
    try {
      for (let run = 0; run < 10; run++) await model.run(batch, ['y']);
      expect(poolRuns()).toBe(10);
    } finally {
      await model.release();
    }
  });

  it('keeps a model file over INLINE_MODEL_MAX_BYTES in the pool only, even at startup', async () => {
    const big = slowMatMulModel(1536, 1);
    expect(big.byteLength).toBeGreaterThan(INLINE_MODEL_MAX_BYTES);
    const model = await serverPlacement(() => true)('big', '1', big);
    try {
      expect('runTimed' in model).toBe(true);
    } finally {
      await model.release();
    }
  });

  it('gives main-thread sessions to the models loaded first, up to the total bytes allowed', async () => {
    const place = serverPlacement(() => true, { inlineTotalBytes: Math.floor(PENGUINS.byteLength * 2.5) });
    const models = [];
    try {
      for (const version of ['1', '2', '3']) models.push(await place('penguins', version, PENGUINS));
      expect(models.map((model) => 'runTimed' in model)).toEqual([false, false, true]);
    } finally {
      await Promise.all(models.map((model) => model.release()));
    }
  });

  it('finishes a run already started on the calling thread before releasing its session', async () => {
    const model = await serverPlacement(() => true)('penguins', '1', PENGUINS);
    await model.run(penguins(1), ['label']);
    const run = model.run(penguins(1), ['label']);
    const released = model.release();
    expect((await run)[0].data).toEqual(['Adelie']);
    await released;
    expect(model.isAlive).toBe(false);
  });

  it('keeps a model loaded once the server is serving in the pool only: no session is created on its event loop', async () => {
    const model = await serverPlacement(() => false)('penguins', '1', PENGUINS);
    try {
      expect('runTimed' in model).toBe(true);
    } finally {
      await model.release();
    }
  });
});
