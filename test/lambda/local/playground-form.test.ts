import type { TensorSpec } from '../../../contract/onnx-model-spec';
import { MAX_EXAMPLE_ELEMENTS, playgroundForm } from '../../../lambda/local/playground/playground-form';

const fp32 = (name: string, shape: number[]): TensorSpec => ({ name, datatype: 'FP32', shape });
const PENGUIN_FEATURES = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'];

describe('the playground form a model gets', () => {
  it('gives one named number field per manifest feature for a few features (penguins)', () => {
    expect(playgroundForm([fp32('features', [-1, 4])], { features: PENGUIN_FEATURES })).toEqual({
      kind: 'features',
      input: 'features',
      datatype: 'FP32',
      shape: [1, 4],
      features: PENGUIN_FEATURES,
    });
  });

  it.each([
    ['no manifest features', undefined],
    ['manifest features that do not fit the input', ['a', 'b']],
  ])('names the fields by position with %s', (_, features) => {
    const form = playgroundForm([{ name: 'x', datatype: 'INT64', shape: [-1, 3] }], features ? { features } : {});
    expect(form).toMatchObject({ kind: 'features', datatype: 'INT64', features: ['x[0]', 'x[1]', 'x[2]'] });
  });

  it.each([
    ['[batch, 784] (mnist)', [-1, 784], [1, 784]],
    ['[batch, 28, 28]', [-1, 28, 28], [1, 28, 28]],
    ['[batch, 1, 28, 28]', [-1, 1, 28, 28], [1, 1, 28, 28]],
  ])('gives a 28x28 drawing pad for a float input shaped %s', (_, shape, sent) => {
    expect(playgroundForm([fp32('pixels', shape)], {})).toEqual({
      kind: 'drawing',
      input: 'pixels',
      datatype: 'FP32',
      shape: sent,
      side: 28,
    });
  });

  it.each<[string, TensorSpec[]]>([
    ['more than 32 features', [fp32('x', [-1, 33])]],
    ['784 integers (not ink values)', [{ name: 'x', datatype: 'UINT8', shape: [-1, 784] }]],
    ['a dynamic row length', [fp32('x', [-1, -1])]],
    ['a tensor of unknown rank', [{ name: 'x', datatype: 'FP32', shape: [-1], anyRank: true }]],
    ['strings', [{ name: 'x', datatype: 'BYTES', shape: [-1, 2] }]],
    ['two inputs', [fp32('a', [-1, 2]), fp32('b', [-1, 2])]],
  ])('falls back to JSON inputs for %s', (_, inputs) => {
    expect(playgroundForm(inputs, {}).kind).toBe('json');
  });

  it('starts the JSON form from zeros (or "" and false) in the declared shapes, one row each', () => {
    const form = playgroundForm(
      [
        { name: 'text', datatype: 'BYTES', shape: [-1, 2] },
        { name: 'mask', datatype: 'BOOL', shape: [2] },
        fp32('x', [-1, -1]),
      ],
      {},
    );
    expect(form).toEqual({
      kind: 'json',
      example: {
        inputs: [
          { name: 'text', datatype: 'BYTES', shape: [1, 2], data: ['', ''] },
          { name: 'mask', datatype: 'BOOL', shape: [2], data: [false, false] },
          { name: 'x', datatype: 'FP32', shape: [1, 1], data: [0] },
        ],
      },
    });
  });

  it('leaves the data of a large example tensor empty instead of a page of zeros', () => {
    const form = playgroundForm([fp32('image', [-1, 3, 224, 224])], {});
    expect(3 * 224 * 224).toBeGreaterThan(MAX_EXAMPLE_ELEMENTS);
    expect(form).toEqual({
      kind: 'json',
      example: { inputs: [{ name: 'image', datatype: 'FP32', shape: [1, 3, 224, 224], data: [] }] },
    });
  });
});
