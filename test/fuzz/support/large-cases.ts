/**
 * Requests whose JSON answer outgrows the request: an FP32 or FP16 Identity answers 0.1 as 0.10000000149011612 (or
 * 0.0999755859375), so a 2 MB request makes an 8-10 MB answer, over what a Lambda function can return (6 MB).
 */
import fc from 'fast-check';
import type { FuzzModel } from './fuzz-models';
import type { InferCase } from './infer-cases';
import { halfToNumber } from './tensor-values';

export function largeAnswerCase(models: readonly FuzzModel[]): fc.Arbitrary<InferCase> {
  const candidates = models.filter((model) => model.name === 'id_fp32' || model.name === 'id_fp16');
  return fc
    .tuple(fc.constantFrom(...candidates), fc.integer({ min: 120_000, max: 200_000 }), fc.constantFrom(0.1, 0.3, 0.7))
    .map(([model, rows, value]) => {
      const spec = model.inputs[0];
      if (spec === undefined) throw new Error(`model ${model.name} has no input`);
      const half = spec.datatype === 'FP16';
      // FP16 carries 0.1 as the nearest half, which a client sends as its exact value so that it comes back unchanged.
      const element = half ? { wire: halfToNumber(HALF_BITS[value] ?? 0), feed: HALF_BITS[value] ?? 0 } : { wire: value, feed: value };
      return {
        model,
        versionInPath: false,
        inputs: [{ spec, shape: [rows, 3], elements: Array.from({ length: rows * 3 }, () => element), nested: false, binary: !half }],
        contentType: 'application/json',
        [fc.toStringMethod]: () => `${rows} rows of ${value} to ${model.name}`,
      };
    });
}

const HALF_BITS: Record<number, number> = { 0.1: 0x2e66, 0.3: 0x34cd, 0.7: 0x399a };
