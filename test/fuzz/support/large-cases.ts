/**
 * Requests whose JSON answer outgrows the request: FP32 values sent as binary tensor data take 4 bytes each, and come
 * back as JSON numbers such as 0.30000001192092896 (about 20 bytes): a 2 MB request makes an answer of 7-12 MB, over
 * what a Lambda function can return (6 MB).
 */
import fc from 'fast-check';
import type { FuzzModel } from './fuzz-models';
import type { InferCase } from './infer-cases';

function identityFp32(models: readonly FuzzModel[]): FuzzModel {
  const model = models.find((candidate) => candidate.name === 'id_fp32');
  if (model === undefined) throw new Error('the fuzz repository has no id_fp32 model');
  return model;
}

/** `rows` rows of three FP32 `value`s to the FP32 Identity, as binary tensor data, asking for JSON outputs. */
export function largeRequest(models: readonly FuzzModel[], rows: number, value = 0.3): InferCase {
  const model = identityFp32(models);
  const spec = model.inputs[0];
  if (spec === undefined) throw new Error(`model ${model.name} has no input`);
  const element = { wire: Math.fround(value), feed: Math.fround(value) };
  return {
    model,
    versionInPath: false,
    inputs: [
      {
        spec,
        shape: [rows, 3],
        elements: Array.from({ length: rows * 3 }, () => element),
        nested: false,
        binary: true,
      },
    ],
    contentType: 'application/json',
    [fc.toStringMethod]: () => `${rows} rows of ${value} as binary FP32 to ${model.name}`,
  } as InferCase;
}

export function largeAnswerCase(models: readonly FuzzModel[]): fc.Arbitrary<InferCase> {
  return fc
    .tuple(fc.integer({ min: 120_000, max: 200_000 }), fc.constantFrom(0.1, 0.3, 0.7))
    .map(([rows, value]) => largeRequest(models, rows, value));
}
