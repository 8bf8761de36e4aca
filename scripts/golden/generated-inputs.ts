import type { WireTensor } from '../../contract/golden-set';
import type { Datatype, ModelSpec } from '../../lambda/protocol/tensor';
import { type Random, randomInt, seededRandom } from '../train/seeded-random';
import type { NamedRequest } from './golden-recorder';

/** A dynamic leading (batch) dimension becomes 1, any other dynamic dimension this: small, and not a special 1. */
export const GENERATED_DYNAMIC_SIZE = 4;

/**
 * Requests generated from the model's metadata alone: every input filled with seeded values of its datatype
 * (floats in [0, 1), integers 0 to 9, booleans, short strings), a dynamic batch dimension set to 1 and other dynamic
 * dimensions to GENERATED_DYNAMIC_SIZE. The same seed gives the same requests. Such a golden set pins the model's
 * current behaviour; whether the answers are right, only real examples can show.
 */
export function generatedRequests(spec: ModelSpec, count: number, seed: number): NamedRequest[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, index) => ({
    name: `generated input ${index + 1} (seed ${seed})`,
    request: {
      inputs: spec.inputs.map((input): WireTensor => {
        const shape = input.shape.map((dim, axis) => (dim >= 0 ? dim : axis === 0 ? 1 : GENERATED_DYNAMIC_SIZE));
        const elements = shape.reduce((n, dim) => n * dim, 1);
        return {
          name: input.name,
          datatype: input.datatype,
          shape,
          data: Array.from({ length: elements }, () => generatedValue(input.datatype, random)),
        };
      }),
    },
  }));
}

function generatedValue(datatype: Datatype, random: Random): number | string | boolean {
  switch (datatype) {
    case 'FP16':
    case 'FP32':
    case 'FP64':
      // Three decimals: readable in the file, and exact enough that FP16 and FP32 inputs round the same way each time.
      return Math.round(random() * 1000) / 1000;
    case 'BOOL':
      return random() < 0.5;
    case 'BYTES':
      return `sample ${randomInt(random, 100)}`;
    default:
      return randomInt(random, 10);
  }
}
