import { BadRequestError } from '../../../lambda/protocol/errors';
import type { ModelSpec, Tensor } from '../../../lambda/protocol/tensor';
import { decodePredictRequest, encodePredictResponse } from '../../../lambda/protocol/v1-predict';
import { classifier, label, probabilities, singleInputModel, thrownBy } from './models';

const tabular: ModelSpec = { ...classifier, inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 3] }] };

function expectBadRequest(action: () => unknown, ...fragments: string[]): void {
  const error = thrownBy(action);
  expect(error).toBeInstanceOf(BadRequestError);
  for (const fragment of fragments) expect((error as Error).message).toContain(fragment);
}

describe('decodePredictRequest', () => {
  it('turns instances into one batched input with the model datatype, requesting every output', () => {
    const request = decodePredictRequest(
      {
        instances: [
          [1, 2, 3],
          [4, 5, 6],
        ],
      },
      tabular,
    );
    expect(request).toEqual({
      inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
      outputs: ['label', 'probabilities'],
    });
  });

  it('accepts scalar instances for a rank-1 input', () => {
    const request = decodePredictRequest({ instances: ['a', 'b'] }, singleInputModel('BYTES'));
    expect(request.inputs[0]).toEqual({ name: 'x', datatype: 'BYTES', shape: [2], data: ['a', 'b'] });
  });

  it.each<[string, unknown, ...string[]]>([
    ['a body that is not an object', [[1, 2, 3]], 'the body must be a JSON object with an "instances" array'],
    [
      'a body without instances',
      { inputs: [[1, 2, 3]] },
      'the body must be a JSON object with an "instances" array',
      '("inputs", the columnar form, is not supported)',
      '"instances" as nothing',
    ],
    ['empty instances', { instances: [] }, 'at least one row'],
    [
      'rows of different lengths',
      {
        instances: [
          [1, 2, 3],
          [4, 5],
        ],
      },
      'input "features": data[1] has length 2',
    ],
    ['rows that do not fit the model', { instances: [[1, 2]] }, 'dimension 1 is 2', 'expects 3'],
    ['values of the wrong type', { instances: [[1, 2, 'x']] }, 'data[0][2] must be a number'],
  ])('rejects %s', (_, body, ...fragments) => {
    expectBadRequest(() => decodePredictRequest(body, tabular), ...fragments);
  });

  it('rejects a multi-input model and points to v2 infer', () => {
    expectBadRequest(
      () => decodePredictRequest({ instances: [[1, 2, 3]] }, classifier),
      'model "classifier" has 2 inputs ("features", "ids")',
      'POST /v2/models/classifier/infer',
    );
  });
});

describe('encodePredictResponse', () => {
  it("answers one prediction per row with a single output's row values", () => {
    const model: ModelSpec = { ...tabular, outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }] };
    expect(encodePredictResponse(model, [probabilities])).toEqual({
      predictions: [
        [0.25, 0.75],
        [1, 0],
      ],
    });
  });

  it('answers bare values for a rank-1 output', () => {
    const model: ModelSpec = { ...tabular, outputs: [{ name: 'label', datatype: 'INT64', shape: [-1] }] };
    expect(encodePredictResponse(model, [label])).toEqual({ predictions: [1, 0] });
  });

  it('answers an object per row keyed by output name when the model has several outputs', () => {
    expect(encodePredictResponse(tabular, [probabilities, label])).toEqual({
      predictions: [
        { label: 1, probabilities: [0.25, 0.75] },
        { label: 0, probabilities: [1, 0] },
      ],
    });
  });

  it('nests rows of rank-3 outputs', () => {
    const model: ModelSpec = { ...tabular, outputs: [{ name: 'y', datatype: 'BOOL', shape: [-1, 2, 2] }] };
    const y: Tensor = { name: 'y', datatype: 'BOOL', shape: [1, 2, 2], data: new Uint8Array([1, 0, 0, 1]) };
    expect(encodePredictResponse(model, [y])).toEqual({
      predictions: [
        [
          [true, false],
          [false, true],
        ],
      ],
    });
  });

  it('rejects outputs with different row counts, which cannot be zipped, and points to v2 infer', () => {
    const oneLabel: Tensor = { ...label, shape: [1], data: new BigInt64Array([1n]) };
    expectBadRequest(
      () => encodePredictResponse(tabular, [probabilities, oneLabel]),
      'POST /v2/models/classifier/infer',
    );
  });
});
