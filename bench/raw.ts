import * as fs from 'node:fs';
import * as path from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { BENCH_MODELS, type BenchCase } from './cases';

/**
 * The limit: ONNX Runtime's own session.run with the input tensor built in advance, created with the same session
 * options as the runtime (lambda/model/onnx-model.ts), so any gap above it is the serving path's.
 */
export async function rawRunner(
  benchCase: BenchCase,
): Promise<{ run: () => Promise<unknown>; release: () => Promise<void> }> {
  const bytes = fs.readFileSync(path.join(BENCH_MODELS, benchCase.model, '1', 'model.onnx'));
  const session = await InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  const feeds = { [benchCase.input]: new Tensor('float32', benchCase.values, [benchCase.batch, benchCase.features]) };
  return { run: () => session.run(feeds), release: () => session.release() };
}
