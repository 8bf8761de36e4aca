import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { seededRandom } from './seeded-random';
import { stratifiedSplit } from './split';

export const MNIST_PIXELS = 28 * 28;
export const MNIST_DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

export interface DigitRows {
  /** Row-major [rows, 784], each pixel 0 (background) to 1 (ink), as the `mnist` package ships them. */
  readonly pixels: Float32Array;
  readonly digits: Uint8Array;
  readonly count: number;
}

export interface MnistSplit {
  readonly train: DigitRows;
  readonly heldOut: DigitRows;
}

const SPLIT_SEED = 20_240_602;
const HELD_OUT_FRACTION = 0.2;

/**
 * Reads the package's per-digit files rather than calling `mnist.set()`, which shuffles with `Math.random` and so
 * could never give the test the same held-out rows twice.
 */
function readDigit(digit: number): number[] {
  const file = join(dirname(require.resolve('mnist')), 'digits', `${digit}.json`);
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const data = (parsed as { data?: unknown }).data;
  if (!Array.isArray(data) || data.length % MNIST_PIXELS !== 0) {
    throw new Error(`${file} should hold {"data": [...]} with a multiple of ${MNIST_PIXELS} pixel values`);
  }
  return data as number[];
}

function loadMnist(): DigitRows {
  const perDigit = MNIST_DIGITS.map((_, digit) => readDigit(digit));
  const count = perDigit.reduce((sum, data) => sum + data.length / MNIST_PIXELS, 0);
  const pixels = new Float32Array(count * MNIST_PIXELS);
  const digits = new Uint8Array(count);
  let row = 0;
  perDigit.forEach((data, digit) => {
    pixels.set(data, row * MNIST_PIXELS);
    digits.fill(digit, row, row + data.length / MNIST_PIXELS);
    row += data.length / MNIST_PIXELS;
  });
  return { pixels, digits, count };
}

function pick(all: DigitRows, rows: readonly number[]): DigitRows {
  const pixels = new Float32Array(rows.length * MNIST_PIXELS);
  const digits = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    pixels.set(all.pixels.subarray(row * MNIST_PIXELS, (row + 1) * MNIST_PIXELS), i * MNIST_PIXELS);
    digits[i] = all.digits[row];
  });
  return { pixels, digits, count: rows.length };
}

/** The fixed train/held-out split that both training and the model tests use. */
export function loadMnistSplit(): MnistSplit {
  const all = loadMnist();
  const { train, heldOut } = stratifiedSplit(Array.from(all.digits), HELD_OUT_FRACTION, seededRandom(SPLIT_SEED));
  return { train: pick(all, train), heldOut: pick(all, heldOut) };
}
