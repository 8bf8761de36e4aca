import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { seededRandom } from './seeded-random';
import { stratifiedSplit } from './split';

export const PENGUIN_FEATURES = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'] as const;
export const PENGUIN_SPECIES = ['Adelie', 'Chinstrap', 'Gentoo'] as const;

// vega-datasets says "Beak" where the Palmer penguins study (and most tutorials) say "bill".
const SOURCE_COLUMNS = ['Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)'] as const;

export interface PenguinRows {
  /** One row of the four measurements per penguin, rounded to float32 as the ONNX model will see them. */
  readonly features: number[][];
  /** Index into PENGUIN_SPECIES. */
  readonly species: number[];
}

export interface PenguinsSplit {
  readonly train: PenguinRows;
  readonly heldOut: PenguinRows;
}

const SPLIT_SEED = 20_240_601;
const HELD_OUT_FRACTION = 0.25;

function datasetPath(): string {
  // The package's `exports` hides data/, so find it next to the entry point instead of by a package subpath.
  return join(dirname(require.resolve('vega-datasets')), '..', 'data', 'penguins.json');
}

/** Every penguin with all four measurements (the dataset has two rows without any), in dataset order. */
function loadPenguins(): PenguinRows {
  const records: unknown = JSON.parse(readFileSync(datasetPath(), 'utf8'));
  if (!Array.isArray(records)) throw new Error(`${datasetPath()} should hold an array of penguins`);
  const features: number[][] = [];
  const species: number[] = [];
  for (const record of records as Record<string, unknown>[]) {
    const values = SOURCE_COLUMNS.map((column) => record[column]);
    const label = PENGUIN_SPECIES.indexOf(record.Species as (typeof PENGUIN_SPECIES)[number]);
    if (label < 0) throw new Error(`unknown species ${String(record.Species)} in ${datasetPath()}`);
    if (values.every((value): value is number => typeof value === 'number' && Number.isFinite(value))) {
      features.push(values.map((value) => Math.fround(value)));
      species.push(label);
    }
  }
  return { features, species };
}

/** The fixed train/held-out split that both training and the model tests use. */
export function loadPenguinsSplit(): PenguinsSplit {
  const all = loadPenguins();
  const { train, heldOut } = stratifiedSplit(all.species, HELD_OUT_FRACTION, seededRandom(SPLIT_SEED));
  const pick = (rows: number[]): PenguinRows => ({
    features: rows.map((row) => all.features[row]),
    species: rows.map((row) => all.species[row]),
  });
  return { train: pick(train), heldOut: pick(heldOut) };
}
