import type { Mlp } from './mlp';
import { attributes, batchTensor, DataType, encodeModel, floatInitializer, ONNX_OPSET } from './onnx-graph';

/**
 * Gemm -> Relu -> Gemm gives the logits; Softmax turns them into "probabilities" and ArgMax of the logits (the same
 * order, without Softmax's rounding) into "label", so a caller gets both without post-processing.
 */
export function mlpToOnnx(mlp: Mlp, docString: string): Uint8Array {
  return encodeModel({
    name: 'mlp',
    docString,
    opsets: [ONNX_OPSET],
    nodes: [
      { opType: 'Gemm', name: 'dense_1', input: ['pixels', 'w1', 'b1'], output: ['dense_1'] },
      { opType: 'Relu', name: 'relu_1', input: ['dense_1'], output: ['relu_1'] },
      { opType: 'Gemm', name: 'dense_2', input: ['relu_1', 'w2', 'b2'], output: ['logits'] },
      {
        opType: 'Softmax',
        name: 'softmax',
        input: ['logits'],
        output: ['probabilities'],
        attribute: [attributes.int('axis', 1)],
      },
      {
        opType: 'ArgMax',
        name: 'argmax',
        input: ['logits'],
        output: ['label'],
        attribute: [attributes.int('axis', 1), attributes.int('keepdims', 0)],
      },
    ],
    inputs: [batchTensor('pixels', DataType.FLOAT, mlp.inputs)],
    outputs: [batchTensor('probabilities', DataType.FLOAT, mlp.classes), batchTensor('label', DataType.INT64)],
    initializers: [
      floatInitializer('w1', [mlp.inputs, mlp.hidden], mlp.w1),
      floatInitializer('b1', [mlp.hidden], mlp.b1),
      floatInitializer('w2', [mlp.hidden, mlp.classes], mlp.w2),
      floatInitializer('b2', [mlp.classes], mlp.b2),
    ],
  });
}
