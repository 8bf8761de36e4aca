import type { Datatype, ModelSpec, Tensor } from '../../../lambda/protocol/tensor';

/** A classifier-like model: two inputs of different kinds, two outputs. */
export const classifier: ModelSpec = {
  name: 'classifier',
  version: '3',
  inputs: [
    { name: 'features', datatype: 'FP32', shape: [-1, 3] },
    { name: 'ids', datatype: 'INT64', shape: [-1] },
  ],
  outputs: [
    { name: 'label', datatype: 'INT64', shape: [-1] },
    { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
  ],
};

/** What the classifier returns for two rows: its `label` and `probabilities` outputs. */
export const label: Tensor = { name: 'label', datatype: 'INT64', shape: [2], data: new BigInt64Array([1n, 0n]) };
export const probabilities: Tensor = {
  name: 'probabilities',
  datatype: 'FP32',
  shape: [2, 2],
  data: new Float32Array([0.25, 0.75, 1, 0]),
};

/** A one-input, one-output model of `datatype` with the given input shape. */
export function singleInputModel(datatype: Datatype, shape: readonly number[] = [-1]): ModelSpec {
  return {
    name: 'single',
    version: '1',
    inputs: [{ name: 'x', datatype, shape }],
    outputs: [{ name: 'y', datatype, shape }],
  };
}

/** Runs `action` and returns what it threw, so a test can check the error's type, status and message together. */
export function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw, but it returned');
}
