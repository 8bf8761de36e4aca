import type { Datatype } from '../../../contract/datatypes';
import type { ModelManifest } from '../../../contract/model-repository';
import type { TensorSpec } from '../../../contract/onnx-model-spec';

/**
 * How the playground asks for a model's inputs, decided from its metadata: one number field per named feature, a
 * drawing pad for an MNIST-shaped image, or the request's `inputs` as JSON for anything else.
 */
export type PlaygroundForm =
  | {
      readonly kind: 'features';
      readonly input: string;
      readonly datatype: Datatype;
      /** The shape the request sends: the declared one with each dynamic dimension set to 1 (one row). */
      readonly shape: readonly number[];
      readonly features: readonly string[];
    }
  | {
      readonly kind: 'drawing';
      readonly input: string;
      readonly datatype: Datatype;
      readonly shape: readonly number[];
      /** Pixels per side of the square image the pad produces, row by row from the top left, ink as 0..1. */
      readonly side: number;
    }
  | {
      readonly kind: 'json';
      /** A request body to start from: every input, with dynamic dimensions set to 1 and zeros (or "") as data. */
      readonly example: { readonly inputs: readonly ExampleTensor[] };
    };

interface ExampleTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: readonly (number | string | boolean)[];
}

/** More fields than this and a form of number fields stops being something a person fills in. */
export const MAX_FEATURE_FIELDS = 32;

/** The MNIST image side: a [batch, 784] (or [batch, 28, 28], [batch, 1, 28, 28]) float input gets a drawing pad. */
export const DRAWING_SIDE = 28;

/** Beyond this many elements the JSON example shows an empty data list instead of a page of zeros. */
export const MAX_EXAMPLE_ELEMENTS = 4096;

const FLOAT_TYPES: readonly Datatype[] = ['FP16', 'FP32', 'FP64'];
const NOT_NUMBERS: readonly Datatype[] = ['BYTES', 'BOOL'];

export function playgroundForm(inputs: readonly TensorSpec[], manifest: ModelManifest): PlaygroundForm {
  const [input] = inputs;
  if (inputs.length === 1 && input.anyRank !== true && !NOT_NUMBERS.includes(input.datatype)) {
    const shape = oneRow(input.shape);
    // Everything after the batch dimension: what one row holds.
    const row = input.shape.length > 1 ? input.shape.slice(1) : input.shape;
    const width = row.reduce((product, dim) => product * dim, 1);
    const known = row.every((dim) => dim > 0);
    const imageLike = row.every((dim) => dim === 1 || dim === DRAWING_SIDE || dim === DRAWING_SIDE ** 2);
    if (known && FLOAT_TYPES.includes(input.datatype) && width === DRAWING_SIDE ** 2 && imageLike) {
      return { kind: 'drawing', input: input.name, datatype: input.datatype, shape, side: DRAWING_SIDE };
    }
    if (known && row.length === 1 && width <= MAX_FEATURE_FIELDS) {
      // The manifest's names only when they fit the input; otherwise positions, which are at least not wrong.
      const named = manifest.features?.length === width ? manifest.features : undefined;
      const features = named ?? Array.from({ length: width }, (_, index) => `${input.name}[${index}]`);
      return { kind: 'features', input: input.name, datatype: input.datatype, shape, features };
    }
  }
  return { kind: 'json', example: { inputs: inputs.map(exampleTensor) } };
}

function oneRow(shape: readonly number[]): number[] {
  return shape.map((dim) => (dim === -1 ? 1 : dim));
}

function exampleTensor(spec: TensorSpec): ExampleTensor {
  const shape = oneRow(spec.shape);
  const count = shape.reduce((product, dim) => product * dim, 1);
  const zero = spec.datatype === 'BYTES' ? '' : spec.datatype === 'BOOL' ? false : 0;
  return {
    name: spec.name,
    datatype: spec.datatype,
    shape,
    data: count > MAX_EXAMPLE_ELEMENTS ? [] : Array.from({ length: count }, () => zero),
  };
}
