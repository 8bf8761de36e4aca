import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO_MODEL_FIXTURES } from '../scripts/train/model-files';
import { seededRandom } from '../scripts/train/seeded-random';
import type { BenchConfig } from './config';
import { WIDE_INPUT, writeWideMlp } from './wide-mlp';

/**
 * The benchmark's own model repository (gitignored): the demo models, copied from the test fixtures rather than from
 * models/ so that a user's own models there change nothing, beside the generated wide one.
 */
export const BENCH_MODELS = path.join(__dirname, 'models');
/** A repository with one model, for cold starts; a dot folder, so scanning BENCH_MODELS skips it. */
export const COLD_MODELS = path.join(BENCH_MODELS, '.cold');
/** Build outputs (the handler bundle). */
export const BUILD_DIR = path.join(BENCH_MODELS, '.build');
export const RESULTS_DIR = path.join(__dirname, 'results');

export const BATCHES = [1, 32] as const;

export interface ModelCase {
  readonly model: string;
  readonly input: string;
  readonly features: number;
  /** One row of plausible input, so tree models take realistic paths. */
  readonly row: (random: () => number) => number[];
}

export interface BenchCase extends ModelCase {
  readonly batch: number;
  /** Flat row-major input values, already rounded to float32. */
  readonly values: Float32Array;
  /** The v2 infer request as a client would send it. */
  readonly body: string;
  readonly path: string;
  readonly label: string;
}

export function modelCases(config: BenchConfig): ModelCase[] {
  return [
    {
      model: 'penguins',
      input: 'features',
      features: 4,
      // bill length, bill depth, flipper length (mm), body mass (g) around the dataset's ranges.
      row: (random) => [32 + random() * 28, 13 + random() * 9, 172 + random() * 59, 2700 + random() * 3600],
    },
    {
      model: 'mnist',
      input: 'pixels',
      features: 784,
      row: (random) => Array.from({ length: 784 }, () => (random() < 0.8 ? 0 : Math.round(random() * 255) / 255)),
    },
    {
      model: 'wide',
      input: WIDE_INPUT,
      features: config.wide.inputs,
      row: (random) => Array.from({ length: config.wide.inputs }, () => random() * 2 - 1),
    },
  ];
}

export function benchCase(model: ModelCase, batch: number): BenchCase {
  const random = seededRandom(7 + batch);
  const values = new Float32Array(batch * model.features);
  for (let row = 0; row < batch; row++) values.set(model.row(random), row * model.features);
  // Numbers as a float32 client sends them (numpy's tolist of a float32 array), flat and row-major.
  const body = JSON.stringify({
    id: `bench-${model.model}-${batch}`,
    inputs: [{ name: model.input, shape: [batch, model.features], datatype: 'FP32', data: Array.from(values) }],
  });
  return {
    ...model,
    batch,
    values,
    body,
    path: `/v2/models/${model.model}/infer`,
    label: `${model.model} b${batch}`,
  };
}

export function allCases(config: BenchConfig): BenchCase[] {
  return modelCases(config).flatMap((model) => BATCHES.map((batch) => benchCase(model, batch)));
}

/** Copies the demo models from the test fixtures and generates the wide one; returns each model file's size. */
export function prepareRepository(config: BenchConfig): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const name of ['penguins', 'mnist']) {
    const target = path.join(BENCH_MODELS, name, '1');
    fs.mkdirSync(target, { recursive: true });
    fs.copyFileSync(path.join(DEMO_MODEL_FIXTURES, name, '1', 'model.onnx'), path.join(target, 'model.onnx'));
    sizes[name] = fs.statSync(path.join(target, 'model.onnx')).size;
  }
  sizes.wide = writeWideMlp(BENCH_MODELS, config.wide).bytes;
  // Cold starts load mnist: a small dense model, so the time is the runtime's and not the disk's.
  const cold = path.join(COLD_MODELS, 'mnist', '1');
  fs.mkdirSync(cold, { recursive: true });
  fs.copyFileSync(path.join(BENCH_MODELS, 'mnist', '1', 'model.onnx'), path.join(cold, 'model.onnx'));
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  return sizes;
}
