import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { MANIFEST_FILE, MODEL_FILE, parseModelManifest } from '../../contract/model-repository';
import { loadMnistSplit, MNIST_DIGITS, MNIST_PIXELS } from '../../scripts/train/mnist-data';
import { MODELS_ROOT } from '../../scripts/train/model-files';
import { loadPenguinsSplit, PENGUIN_FEATURES, PENGUIN_SPECIES } from '../../scripts/train/penguins-data';
import { DEMO_MODELS } from '../support/demo-models';

interface HeldOut {
  readonly input: Tensor;
  /** Expected class index per row. */
  readonly expected: readonly number[];
}

interface DemoModel {
  readonly name: string;
  readonly minimumAccuracy: number;
  readonly labels: readonly string[];
  readonly features: number;
  readonly inputs: readonly { name: string; type: string; shape: readonly (string | number)[] }[];
  readonly outputs: readonly { name: string; type: string; shape: readonly (string | number)[] }[];
  readonly heldOut: () => HeldOut;
  /** Predicted class index per row, read from the model's "label" output. */
  readonly predicted: (label: Tensor) => number[];
}

const demoModels: DemoModel[] = [
  {
    name: 'penguins',
    minimumAccuracy: 0.95,
    labels: PENGUIN_SPECIES,
    features: PENGUIN_FEATURES.length,
    inputs: [{ name: 'features', type: 'float32', shape: ['batch', 4] }],
    outputs: [
      { name: 'label', type: 'string', shape: ['batch'] },
      { name: 'probabilities', type: 'float32', shape: ['batch', 3] },
    ],
    heldOut: () => {
      const { heldOut } = loadPenguinsSplit();
      const rows = heldOut.features.length;
      return {
        input: new Tensor('float32', Float32Array.from(heldOut.features.flat()), [rows, PENGUIN_FEATURES.length]),
        expected: heldOut.species,
      };
    },
    predicted: (label) =>
      (label.data as string[]).map((species) => PENGUIN_SPECIES.indexOf(species as (typeof PENGUIN_SPECIES)[number])),
  },
  {
    name: 'mnist',
    minimumAccuracy: 0.92,
    labels: MNIST_DIGITS,
    features: MNIST_PIXELS,
    inputs: [{ name: 'pixels', type: 'float32', shape: ['batch', 784] }],
    outputs: [
      { name: 'probabilities', type: 'float32', shape: ['batch', 10] },
      { name: 'label', type: 'int64', shape: ['batch'] },
    ],
    heldOut: () => {
      const { heldOut } = loadMnistSplit();
      return {
        input: new Tensor('float32', heldOut.pixels, [heldOut.count, MNIST_PIXELS]),
        expected: Array.from(heldOut.digits),
      };
    },
    predicted: (label) => Array.from(label.data as BigInt64Array, Number),
  },
];

describe.each(demoModels)('the committed $name model', (model) => {
  const folder = join(DEMO_MODELS, model.name, '1');
  const manifest = parseModelManifest(readFileSync(join(folder, MANIFEST_FILE), 'utf8'), MANIFEST_FILE);
  let session: InferenceSession;
  let heldOut: HeldOut;
  let outputs: InferenceSession.ReturnType;

  beforeAll(async () => {
    session = await InferenceSession.create(join(folder, MODEL_FILE));
    heldOut = model.heldOut();
    outputs = await session.run({ [model.inputs[0].name]: heldOut.input });
  });

  afterAll(async () => {
    await session?.release();
  });

  it('declares the documented inputs and outputs, with a symbolic batch dimension', () => {
    const summarise = (metadata: readonly InferenceSession.ValueMetadata[]) =>
      metadata.map((value) =>
        value.isTensor ? { name: value.name, type: value.type, shape: value.shape } : { name: value.name },
      );
    expect(summarise(session.inputMetadata)).toEqual(model.inputs);
    expect(summarise(session.outputMetadata)).toEqual(model.outputs);
  });

  it('has a manifest naming its features and labels in model order', () => {
    expect(manifest.labels).toEqual(model.labels);
    expect(manifest.features).toHaveLength(model.features);
    expect(manifest.description).toEqual(expect.any(String));
  });

  it('reaches its minimum accuracy on the held-out rows, exactly as recorded in model.json', () => {
    const predicted = model.predicted(outputs.label);
    const correct = predicted.filter((label, row) => label === heldOut.expected[row]).length;
    const accuracy = correct / heldOut.expected.length;

    expect(predicted).toHaveLength(heldOut.expected.length);
    expect(accuracy).toBeGreaterThanOrEqual(model.minimumAccuracy);
    expect(manifest.metrics?.heldOutRows).toBe(heldOut.expected.length);
    expect(Math.abs(accuracy - (manifest.metrics?.accuracy ?? Number.NaN))).toBeLessThan(1e-9);
  });

  it('returns one probability row per input row that sums to 1 and agrees with the label', () => {
    const probabilities = outputs.probabilities;
    const classes = model.labels.length;
    const predicted = model.predicted(outputs.label);

    expect(probabilities.dims).toEqual([heldOut.expected.length, classes]);
    const data = probabilities.data as Float32Array;
    for (let row = 0; row < heldOut.expected.length; row++) {
      const rowProbabilities = Array.from(data.subarray(row * classes, (row + 1) * classes));
      expect(rowProbabilities.reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 5);
      expect(rowProbabilities[predicted[row]]).toBe(Math.max(...rowProbabilities));
    }
  });
});

// The checks above run on the test fixtures; models/ is the user's. While models/<name> still holds the demo (its
// manifest unchanged), it must be the very model tested here: `npm run train` writes both, byte for byte. A user's
// own model under the same name, or no model at all, is none of this test's business.
describe.each(demoModels)('models/$name', ({ name }) => {
  const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
  const shipped = join(MODELS_ROOT, name, '1');
  const tested = join(DEMO_MODELS, name, '1');

  it('is the tested demo model byte for byte while it holds the demo manifest (else rerun npm run train)', () => {
    const holdsDemo =
      existsSync(join(shipped, MANIFEST_FILE)) &&
      sha256(join(shipped, MANIFEST_FILE)) === sha256(join(tested, MANIFEST_FILE));
    if (holdsDemo) expect(sha256(join(shipped, MODEL_FILE))).toBe(sha256(join(tested, MODEL_FILE)));
  });
});
