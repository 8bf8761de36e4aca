import type { LoadedModel } from '../../../lambda/model/model-backend';
import { windowDrift } from '../../../lambda/monitoring/window-drift';
import { loadMnistSplit, MNIST_PIXELS } from '../../../scripts/train/mnist-data';
import { loadPenguinsSplit, PENGUIN_FEATURES } from '../../../scripts/train/penguins-data';
import { capturedRecords, type DemoModel, loadDemoModel } from '../../support/demo-captures';

/**
 * The demo experiment: the held-out rows the demo models never trained on, captured as single-row requests, against
 * the baseline `npm run train` wrote. The same rows with one feature shifted must flag that feature alone.
 */
describe('drift of the demo models against their training baseline', () => {
  const loaded: LoadedModel[] = [];
  afterAll(async () => {
    for (const model of loaded) await model.release();
  });
  async function demo(name: 'penguins' | 'mnist'): Promise<DemoModel> {
    const model = await loadDemoModel(name);
    loaded.push(model.model);
    return model;
  }

  it('finds no drift in the penguins held out from training, and flags body mass +30 % alone', async () => {
    const penguins = await demo('penguins');
    const { heldOut } = loadPenguinsSplit();
    const asIs = windowDrift(penguins.descriptor, await capturedRecords(penguins, heldOut.features));
    const massIndex = PENGUIN_FEATURES.indexOf('body_mass_g');
    const heavier = heldOut.features.map((row) => row.map((value, i) => (i === massIndex ? value * 1.3 : value)));
    const shifted = windowDrift(penguins.descriptor, await capturedRecords(penguins, heavier));

    expect(asIs.rows).toBe(heldOut.features.length);
    expect(asIs.skipped).toBe(0);
    // 86 rows in ten bins: sampling noise alone gives PSI near (10 - 1) * (1/86 + 1/256) = 0.14, so a window this
    // small may reach "watch"; it must not reach "act".
    expect([...asIs.inputs, ...asIs.outputs].filter((d) => d.status === 'act')).toEqual([]);
    expect(shifted.inputs.filter((d) => d.status === 'act').map((d) => d.name)).toEqual(['body_mass_g']);
    for (const other of shifted.inputs.filter((d) => d.name !== 'body_mass_g')) {
      expect(other.psi).toBeCloseTo(asIs.inputs.find((d) => d.name === other.name)?.psi ?? Number.NaN, 12);
    }
    expect(shifted.status).toBe('act');
  });

  it('finds no drift in the mnist digits held out from training', async () => {
    const mnist = await demo('mnist');
    const { heldOut } = loadMnistSplit();
    const rows = Array.from({ length: heldOut.count }, (_, row) =>
      Array.from(heldOut.pixels.subarray(row * MNIST_PIXELS, (row + 1) * MNIST_PIXELS)),
    );
    const drift = windowDrift(mnist.descriptor, await capturedRecords(mnist, rows));

    expect(drift.rows).toBe(heldOut.count);
    expect(drift.inputs).toHaveLength(MNIST_PIXELS);
    expect(drift.status).not.toBe('act');
  });
});
