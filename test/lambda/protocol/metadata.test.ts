import { modelMetadata, serverMetadata } from '../../../lambda/protocol/metadata';
import { classifier } from './models';

describe('serverMetadata', () => {
  it("names the server and its version and claims the binary tensor data extension under Triton's name", () => {
    expect(serverMetadata('1.2.3')).toEqual({
      name: 'model-endpoint',
      version: '1.2.3',
      extensions: ['binary_tensor_data'],
    });
  });
});

describe('modelMetadata', () => {
  it('describes the model with its versions, the ONNX Runtime platform and -1 for dynamic dimensions', () => {
    expect(modelMetadata(classifier, ['1', '3'])).toEqual({
      name: 'classifier',
      versions: ['1', '3'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'features', datatype: 'FP32', shape: [-1, 3] },
        { name: 'ids', datatype: 'INT64', shape: [-1] },
      ],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
    });
  });
});
