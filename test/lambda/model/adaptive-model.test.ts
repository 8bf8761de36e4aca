import { readFileSync } from 'node:fs';
import { type AdaptiveModel, INLINE_BUDGET_MS, loadAdaptiveModel } from '../../../lambda/model/adaptive-model';
import type { Tensor } from '../../../lambda/protocol/tensor';
import { slowMatMulModel } from '../../fixtures/test-models';
import { demoModelFile } from '../../support/demo-models';

const PENGUINS = readFileSync(demoModelFile('penguins'));

function penguinRows(rows: number): Tensor[] {
  const data = new Float32Array(rows * 4);
  for (let row = 0; row < rows; row++) data.set([39.1, 18.7, 181, 3750], row * 4);
  return [{ name: 'features', datatype: 'FP32', shape: [rows, 4], data }];
}

/** Inline sessions are created in the background after a fast worker run; wait until the model uses one. */
async function untilInline(model: AdaptiveModel, inputs: Tensor[]): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const before = model.placements.inline;
    await model.run(inputs, ['label']);
    if (model.placements.inline > before) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`never ran inline: ${JSON.stringify(model.placements)}`);
}

describe('a fast model', () => {
  let model: AdaptiveModel;
  beforeAll(async () => {
    model = await loadAdaptiveModel('penguins', '1', PENGUINS);
  });
  afterAll(() => model.release());

  it('runs its first request in the worker thread', async () => {
    const outputs = await model.run(penguinRows(1), ['label']);
    expect(outputs[0].data).toEqual(['Adelie']);
    expect(model.placements).toEqual({ inline: 0, worker: 1 });
  });

  it('then runs requests of a size seen to be fast on the main thread, with the same answers', async () => {
    await untilInline(model, penguinRows(1));
    const outputs = await model.run(penguinRows(1), ['label', 'probabilities']);
    expect(outputs.map((output) => output.name)).toEqual(['label', 'probabilities']);
    expect(outputs[0].data).toEqual(['Adelie']);
  });

  it('stays on the main thread when other work queued ahead delays its run past the budget', async () => {
    await untilInline(model, penguinRows(1));
    const before = model.placements;
    // Other requests' work queued ahead of the run: a busy server's event loop, not a slow model.
    setImmediate(() => {
      const until = performance.now() + 3 * INLINE_BUDGET_MS;
      while (performance.now() < until);
    });
    await model.run(penguinRows(1), ['label']);
    await model.run(penguinRows(1), ['label']);
    expect(model.placements).toEqual({ inline: before.inline + 2, worker: before.worker });
  });

  it('sends a larger request than any seen back to the worker', async () => {
    const before = model.placements;
    await model.run(penguinRows(5000), ['label']);
    expect(model.placements.worker).toBe(before.worker + 1);
  });
});

it('keeps a slow model in its worker thread', async () => {
  const model = await loadAdaptiveModel('slow', '1', slowMatMulModel(1024, 4));
  try {
    const x: Tensor[] = [
      { name: 'x', datatype: 'FP32', shape: [256, 1024], data: new Float32Array(256 * 1024).fill(1) },
    ];
    for (let run = 0; run < 3; run++) await model.run(x, ['y']);
    expect(model.placements).toEqual({ inline: 0, worker: 3 });
  } finally {
    await model.release();
  }
});
