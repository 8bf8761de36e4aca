import { InferenceSession, Tensor } from 'onnxruntime-node';
import { modelBaseline } from '../baseline/model-baseline';
import { forestToOnnx } from './forest-onnx';
import { writeHeldOutGoldenSet } from './held-out-golden-set';
import { type TrainingResult, writeModel } from './model-files';
import { loadPenguinsSplit, PENGUIN_FEATURES, PENGUIN_SPECIES } from './penguins-data';
import { forestProbabilities, trainRandomForest } from './random-forest';
import { seededRandom } from './seeded-random';

const FOREST_SEED = 7;

export async function trainPenguins(): Promise<TrainingResult> {
  const { train, heldOut } = loadPenguinsSplit();
  const forest = trainRandomForest(
    train.features,
    train.species,
    PENGUIN_SPECIES.length,
    // sqrt(4) features per split is the usual forest default; depth 6 is deep enough to fit every training penguin.
    { trees: 25, maxDepth: 6, featuresPerSplit: 2 },
    seededRandom(FOREST_SEED),
  );
  const bytes = forestToOnnx({
    forest,
    featureCount: PENGUIN_FEATURES.length,
    classLabels: PENGUIN_SPECIES,
    docString: 'Penguin species from bill length and depth (mm), flipper length (mm) and body mass (g).',
  });

  // The recorded accuracy is ONNX Runtime's on the exported file, so it measures what will be served.
  const session = await InferenceSession.create(bytes);
  const rows = heldOut.features.length;
  const input = new Tensor('float32', Float32Array.from(heldOut.features.flat()), [rows, PENGUIN_FEATURES.length]);
  const output = await session.run({ features: input });
  await session.release();
  const labels = output.label.data as string[];
  const correct = labels.filter((label, row) => label === PENGUIN_SPECIES[heldOut.species[row]]).length;
  const disagreements = heldOut.features.filter((features, row) => {
    const probabilities = forestProbabilities(forest, features);
    return PENGUIN_SPECIES[probabilities.indexOf(Math.max(...probabilities))] !== labels[row];
  }).length;
  if (disagreements > 0) throw new Error(`the exported forest disagrees with the trained one on ${disagreements} rows`);

  const accuracy = correct / rows;
  const manifest = {
    description:
      'Random forest (25 trees, depth <= 6) predicting the species of a Palmer penguin from four body ' +
      'measurements, trained on vega-datasets penguins.json. Input "features": float32 [batch, 4] in the order of ' +
      '"features" below (millimetres, grams). Outputs "label" (species name) and "probabilities" [batch, 3] in the ' +
      'order of "labels".',
    features: [...PENGUIN_FEATURES],
    labels: [...PENGUIN_SPECIES],
    metrics: { accuracy, heldOutRows: rows },
  };
  // The drift baseline summarises the rows the forest learnt from, and its answers on them.
  const trainingRows = train.features.length;
  const trainingInput = {
    name: 'features',
    datatype: 'FP32' as const,
    shape: [trainingRows, PENGUIN_FEATURES.length],
    data: Float32Array.from(train.features.flat()),
  };
  const baseline = await modelBaseline('penguins', '1', bytes, manifest, [[trainingInput]], {
    source: `training split of vega-datasets penguins.json, ${trainingRows} rows`,
  });
  const folder = writeModel('penguins', bytes, { ...manifest, baseline });
  const goldenCases = await writeHeldOutGoldenSet('penguins', 'features', {
    count: rows,
    row: (index) => heldOut.features[index],
  });
  return { folder, accuracy, heldOutRows: rows, bytes: bytes.length, goldenCases };
}
