import * as fs from 'node:fs';
import * as path from 'node:path';
import { batchTensor, DataType, encodeModel, floatInitializer, ONNX_OPSET } from '../scripts/train/onnx-graph';
import { seededRandom } from '../scripts/train/seeded-random';
import type { BenchConfig } from './config';

export const WIDE_INPUT = 'input';

/**
 * Writes a wide MLP (Gemm+Relu layers, softmax output) with seeded uniform weights to `<repository>/wide/1/`. The
 * weights are random because only its size and arithmetic matter here; seeded so every run benchmarks the same
 * bytes. Skipped when the file already holds this exact architecture (the manifest records it).
 */
export function writeWideMlp(repository: string, shape: BenchConfig['wide']): { path: string; bytes: number } {
  const dir = path.join(repository, 'wide', '1');
  const modelPath = path.join(dir, 'model.onnx');
  const manifestPath = path.join(dir, 'model.json');
  const widths = [shape.inputs, ...shape.hidden, shape.classes];
  const description = `bench wide MLP ${widths.join('-')}, seed 42`;
  if (fs.existsSync(modelPath) && fs.existsSync(manifestPath)) {
    const manifest: unknown = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    if (typeof manifest === 'object' && manifest !== null && 'description' in manifest) {
      if (manifest.description === description) return { path: modelPath, bytes: fs.statSync(modelPath).size };
    }
  }
  const random = seededRandom(42);
  const nodes = [];
  const initializers = [];
  let previous = WIDE_INPUT;
  for (let layer = 0; layer < widths.length - 1; layer++) {
    const [fanIn, fanOut] = [widths[layer], widths[layer + 1]];
    // Glorot-uniform scale keeps activations finite through the layers, so outputs are ordinary numbers.
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const weights = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < weights.length; i++) weights[i] = (random() * 2 - 1) * limit;
    initializers.push(floatInitializer(`w${layer}`, [fanIn, fanOut], weights));
    initializers.push(floatInitializer(`b${layer}`, [fanOut], new Float32Array(fanOut)));
    const dense = `dense_${layer}`;
    nodes.push({ opType: 'Gemm', name: dense, input: [previous, `w${layer}`, `b${layer}`], output: [dense] });
    const last = layer === widths.length - 2;
    if (!last) nodes.push({ opType: 'Relu', name: `relu_${layer}`, input: [dense], output: [`relu_${layer}`] });
    previous = last ? dense : `relu_${layer}`;
  }
  nodes.push({ opType: 'Softmax', name: 'softmax', input: [previous], output: ['probabilities'] });
  const bytes = encodeModel({
    name: 'wide_mlp',
    docString: description,
    opsets: [ONNX_OPSET],
    nodes,
    inputs: [batchTensor(WIDE_INPUT, DataType.FLOAT, shape.inputs)],
    outputs: [batchTensor('probabilities', DataType.FLOAT, shape.classes)],
    initializers,
  });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(modelPath, bytes);
  fs.writeFileSync(manifestPath, `${JSON.stringify({ description }, null, 2)}\n`);
  return { path: modelPath, bytes: bytes.byteLength };
}
