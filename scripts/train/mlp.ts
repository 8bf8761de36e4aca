import { type Random, shuffle, standardNormal } from './seeded-random';

/** A one-hidden-layer ReLU network; weights are row-major [inputs, outputs], the layout ONNX Gemm takes untransposed. */
export interface Mlp {
  readonly inputs: number;
  readonly hidden: number;
  readonly classes: number;
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  readonly w2: Float32Array;
  readonly b2: Float32Array;
}

export interface MlpOptions {
  readonly hidden: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
}

export interface Examples {
  /** Row-major [count, inputs]. */
  readonly x: Float32Array;
  readonly classes: Uint8Array;
  readonly count: number;
}

function heInitialised(fanIn: number, size: number, random: Random): Float32Array {
  const scale = Math.sqrt(2 / fanIn);
  return Float32Array.from({ length: size }, () => standardNormal(random) * scale);
}

/** Adam (Kingma & Ba 2015) with its usual constants; it converges in a few epochs where plain SGD needs tuning. */
class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  constructor(private readonly parameters: Float32Array) {
    this.m = new Float64Array(parameters.length);
    this.v = new Float64Array(parameters.length);
  }
  step(gradient: Float64Array, learningRate: number, t: number): void {
    const correction1 = 1 - 0.9 ** t;
    const correction2 = 1 - 0.999 ** t;
    for (let i = 0; i < gradient.length; i++) {
      const g = gradient[i];
      this.m[i] = 0.9 * this.m[i] + 0.1 * g;
      this.v[i] = 0.999 * this.v[i] + 0.001 * g * g;
      this.parameters[i] -= (learningRate * this.m[i]) / correction1 / (Math.sqrt(this.v[i] / correction2) + 1e-8);
    }
  }
}

/** Hidden activations and class probabilities of one row; `hidden` and `probabilities` are overwritten. */
function forward(mlp: Mlp, row: Float32Array, hidden: Float64Array, probabilities: Float64Array): void {
  const { inputs, classes, w1, b1, w2, b2 } = mlp;
  const width = mlp.hidden;
  for (let j = 0; j < width; j++) hidden[j] = b1[j];
  for (let i = 0; i < inputs; i++) {
    const value = row[i];
    // Four in five MNIST pixels are blank; skipping them is most of the training speed.
    if (value === 0) continue;
    const offset = i * width;
    for (let j = 0; j < width; j++) hidden[j] += value * w1[offset + j];
  }
  for (let j = 0; j < width; j++) if (hidden[j] < 0) hidden[j] = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < classes; k++) {
    let logit = b2[k];
    for (let j = 0; j < width; j++) logit += hidden[j] * w2[j * classes + k];
    probabilities[k] = logit;
    if (logit > max) max = logit;
  }
  let sum = 0;
  for (let k = 0; k < classes; k++) {
    probabilities[k] = Math.exp(probabilities[k] - max);
    sum += probabilities[k];
  }
  for (let k = 0; k < classes; k++) probabilities[k] /= sum;
}

/** Minibatch Adam on softmax cross-entropy, with a seeded initialisation and example order. */
export function trainMlp(examples: Examples, classes: number, options: MlpOptions, random: Random): Mlp {
  const inputs = examples.x.length / examples.count;
  const { hidden: width, batchSize } = options;
  const mlp: Mlp = {
    inputs,
    hidden: width,
    classes,
    w1: heInitialised(inputs, inputs * width, random),
    b1: new Float32Array(width),
    w2: heInitialised(width, width * classes, random),
    b2: new Float32Array(classes),
  };
  const parameters = [mlp.w1, mlp.b1, mlp.w2, mlp.b2];
  const optimisers = parameters.map((p) => new Adam(p));
  const gradients = parameters.map((p) => new Float64Array(p.length));
  const [gw1, gb1, gw2, gb2] = gradients;
  const hidden = new Float64Array(width);
  const probabilities = new Float64Array(classes);
  const hiddenError = new Float64Array(width);
  const order = Array.from({ length: examples.count }, (_, row) => row);
  let step = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    shuffle(order, random);
    for (let start = 0; start < order.length; start += batchSize) {
      const batch = order.slice(start, start + batchSize);
      for (const gradient of gradients) gradient.fill(0);
      for (const example of batch) {
        const row = examples.x.subarray(example * inputs, (example + 1) * inputs);
        forward(mlp, row, hidden, probabilities);
        probabilities[examples.classes[example]] -= 1;
        hiddenError.fill(0);
        for (let k = 0; k < classes; k++) {
          const error = probabilities[k] / batch.length;
          gb2[k] += error;
          for (let j = 0; j < width; j++) {
            gw2[j * classes + k] += hidden[j] * error;
            hiddenError[j] += mlp.w2[j * classes + k] * error;
          }
        }
        for (let j = 0; j < width; j++) if (hidden[j] === 0) hiddenError[j] = 0;
        for (let j = 0; j < width; j++) gb1[j] += hiddenError[j];
        for (let i = 0; i < inputs; i++) {
          const value = row[i];
          if (value === 0) continue;
          const offset = i * width;
          for (let j = 0; j < width; j++) gw1[offset + j] += value * hiddenError[j];
        }
      }
      step++;
      optimisers.forEach((optimiser, index) => {
        optimiser.step(gradients[index], options.learningRate, step);
      });
    }
  }
  return mlp;
}

export function predictClass(mlp: Mlp, row: Float32Array): number {
  const probabilities = new Float64Array(mlp.classes);
  forward(mlp, row, new Float64Array(mlp.hidden), probabilities);
  return probabilities.indexOf(Math.max(...probabilities));
}
