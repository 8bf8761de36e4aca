import type { CaptureRecord, FeedbackRecord } from '../../contract/capture';
import { INTEGER_DATATYPES } from '../../contract/datatypes';
import type { ModelDescriptor } from '../../contract/model-descriptor';
import type { TensorSpec } from '../../contract/onnx-model-spec';
import type { Tensor } from '../protocol/tensor';
import { decodeCapturedResponse } from './captured-tensors';
import { categoricalValues, numericValues } from './feature-values';

/**
 * How good the captured answers were, by the truths fed back for them: the share of rows whose predicted label was
 * right (a classifier), or the mean absolute error of the predicted values (a regressor). `rows` is the number of
 * batch rows that had both a captured prediction and a truth.
 */
export type FeedbackQuality =
  | { readonly kind: 'accuracy'; readonly output: string; readonly rows: number; readonly accuracy: number }
  | { readonly kind: 'error'; readonly output: string; readonly rows: number; readonly meanAbsoluteError: number };

/**
 * Joins captured predictions with feedback by request `id` and scores them. The prediction is the model's label
 * output (the first BYTES output, else the first integer output, read through model.json "labels"), or for a model
 * without one its first numeric output with one value per row. Answers are decoded as the drift statistics decode
 * them (JSON, binary tensor data, v1). Undefined when no feedback matched a capture with a readable answer; a
 * feedback row whose truth does not fit (a label for a regressor, a row count that differs) is left out rather
 * than guessed at.
 */
export function feedbackQuality(
  descriptor: ModelDescriptor,
  captures: Iterable<CaptureRecord>,
  feedback: Iterable<FeedbackRecord>,
): FeedbackQuality | undefined {
  const prediction = predictionOutput(descriptor.outputs);
  if (prediction === undefined) return undefined;
  const truths = new Map<string, readonly (string | number)[]>();
  // The latest feedback for an id wins: a correction sent later replaces the first answer.
  for (const record of feedback) truths.set(record.id, record.truth);
  const labels = descriptor.manifest.labels;
  let rows = 0;
  let right = 0;
  let absoluteError = 0;
  for (const capture of captures) {
    const truth = truths.get(capture.id);
    if (truth === undefined) continue;
    const tensor = outputTensor(descriptor, capture, prediction.spec.name);
    if (tensor === undefined) continue;
    if (prediction.kind === 'label') {
      const predicted = categoricalValues(tensor, undefined, labels);
      if (predicted.length !== truth.length) continue;
      for (let row = 0; row < truth.length; row++) {
        rows++;
        if (predicted[row] === labelOf(truth[row], labels)) right++;
      }
    } else {
      const predicted = numericValues(tensor);
      if (predicted.length !== truth.length) continue;
      for (let row = 0; row < truth.length; row++) {
        const value = truth[row];
        if (typeof value !== 'number') continue;
        rows++;
        absoluteError += Math.abs((predicted[row] ?? Number.NaN) - value);
      }
    }
  }
  if (rows === 0) return undefined;
  return prediction.kind === 'label'
    ? { kind: 'accuracy', output: prediction.spec.name, rows, accuracy: right / rows }
    : { kind: 'error', output: prediction.spec.name, rows, meanAbsoluteError: absoluteError / rows };
}

function predictionOutput(
  outputs: readonly TensorSpec[],
): { readonly kind: 'label' | 'value'; readonly spec: TensorSpec } | undefined {
  const label =
    outputs.find((output) => output.datatype === 'BYTES') ??
    outputs.find((output) => INTEGER_DATATYPES.has(output.datatype));
  if (label !== undefined) return { kind: 'label', spec: label };
  // One value per row: [batch] or [batch, 1]; a wider output (probabilities, an image) is no single prediction.
  const value = outputs.find(
    (output) => output.shape.length === 1 || (output.shape.length === 2 && output.shape[1] === 1),
  );
  return value === undefined ? undefined : { kind: 'value', spec: value };
}

/** One output of a captured answer; undefined when the answer cannot be read or does not hold it. */
function outputTensor(descriptor: ModelDescriptor, capture: CaptureRecord, name: string): Tensor | undefined {
  try {
    return decodeCapturedResponse(descriptor, capture.response).find((tensor) => tensor.name === name);
  } catch {
    return undefined;
  }
}

/** A true class as the prediction reads: a class index through the labels when the model has them, else as text. */
function labelOf(value: string | number, labels: readonly string[] | undefined): string {
  return typeof value === 'number' ? (labels?.[value] ?? String(value)) : value;
}
