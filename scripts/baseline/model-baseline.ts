import type { Baseline } from '../../contract/baseline';
import type { ModelManifest } from '../../contract/model-repository';
import { loadOnnxModel } from '../../lambda/model/onnx-model';
import { type BaselineBatch, buildBaseline } from '../../lambda/monitoring/baseline-builder';
import type { Tensor } from '../../lambda/protocol/tensor';

export interface ModelBaselineOptions {
  /** Where the rows came from, written into the baseline for people. */
  readonly source: string;
  /** Quantile bins per numeric feature. @default 10 */
  readonly bins?: number;
  /** Called after each batch with the rows done so far, for progress on long runs. */
  readonly onBatch?: (rowsDone: number) => void;
}

/**
 * The baseline of a model on its training rows: the rows' own distributions and those of the model's answers on
 * them, the answers computed by the same ONNX Runtime session code that serves the model.
 */
export async function modelBaseline(
  name: string,
  version: string,
  modelBytes: Uint8Array,
  manifest: ModelManifest,
  inputBatches: Iterable<readonly Tensor[]>,
  options: ModelBaselineOptions,
): Promise<Baseline> {
  const model = await loadOnnxModel(name, version, modelBytes);
  try {
    const outputNames = model.spec.outputs.map((output) => output.name);
    const batches: BaselineBatch[] = [];
    let rowsDone = 0;
    for (const inputs of inputBatches) {
      batches.push({ inputs, outputs: await model.run(inputs, outputNames) });
      rowsDone += inputs[0]?.shape[0] ?? 0;
      options.onBatch?.(rowsDone);
    }
    return buildBaseline({ ...model.spec, manifest }, batches, {
      source: options.source,
      ...(options.bins !== undefined && { bins: options.bins }),
    });
  } finally {
    await model.release();
  }
}
