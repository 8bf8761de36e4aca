import { InferenceError } from '../../../lambda/protocol/errors';
import { decodeInferRequest, type InferRequest } from '../../../lambda/protocol/infer-request';
import { encodeInferResponse } from '../../../lambda/protocol/infer-response';
import type { Datatype } from '../../../lambda/protocol/tensor';
import { classifier, label, probabilities, singleInputModel, thrownBy } from './models';

/** Decodes `data` as the input, feeds the tensor back as the output, and returns the encoded JSON data. */
function roundTrip(datatype: Datatype, data: unknown[]): unknown {
  const model = singleInputModel(datatype);
  const request = decodeInferRequest({ inputs: [{ name: 'x', shape: [data.length], datatype, data }] }, model);
  const input = request.inputs[0];
  if (input === undefined) throw new Error('no input decoded');
  const response = encodeInferResponse(model, request, [{ ...input, name: 'y' }]);
  // Through real JSON, as a client would see it.
  return JSON.parse(JSON.stringify(response)).outputs[0].data;
}

describe('encodeInferResponse', () => {
  it.each<[Datatype, unknown[]]>([
    ['BOOL', [true, false, true]],
    ['UINT8', [0, 255, 7]],
    ['UINT16', [0, 65535, 7]],
    ['UINT32', [0, 4294967295, 7]],
    ['UINT64', [0, Number.MAX_SAFE_INTEGER, '9007199254740993', '18446744073709551615']],
    ['INT8', [-128, 127, 0]],
    ['INT16', [-32768, 32767, 0]],
    ['INT32', [-2147483648, 2147483647, 0]],
    ['INT64', [-5, Number.MIN_SAFE_INTEGER, '-9223372036854775808', '9223372036854775807']],
    ['FP16', [1, -2, 0.5, 65504, 2 ** -24, 'Infinity', '-Infinity', 'NaN']],
    ['FP32', [0.5, -1.25, 3.4028234663852886e38, 'NaN', 'Infinity', '-Infinity']],
    ['FP64', [0.1, 1e300, -5e-324, 'NaN', 'Infinity']],
    ['BYTES', ['a', '', 'héllo']],
  ])('round-trips %s data unchanged through decode and encode', (datatype, data) => {
    expect(roundTrip(datatype, data)).toEqual(data);
  });

  it.each<[Datatype, unknown[], unknown[]]>([
    ['INT64', ['5', '-9007199254740991'], [5, -9007199254740991]],
    ['UINT64', ['9007199254740991'], [9007199254740991]],
    ['FP32', [0.1], [Math.fround(0.1)]],
    ['FP16', [0.1], [0.0999755859375]],
  ])('encodes %s %p as the value the model saw, %p', (datatype, data, expected) => {
    expect(roundTrip(datatype, data)).toEqual(expected);
  });

  it('encodes 64-bit integers beyond 2^53-1 as exact decimal strings and safe ones as numbers', () => {
    const request: InferRequest = { inputs: [], outputs: ['label'] };
    const values = new BigInt64Array([2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n)]);
    const response = encodeInferResponse(classifier, request, [{ ...label, shape: [3], data: values }]);
    expect(response.outputs[0]?.data).toEqual([9007199254740991, '9007199254740992', '-9007199254740992']);
  });

  it('answers model name and version, echoes the id, and returns only the requested outputs', () => {
    const request: InferRequest = { id: 'req-7', inputs: [], outputs: ['probabilities'] };
    expect(encodeInferResponse(classifier, request, [label, probabilities])).toEqual({
      model_name: 'classifier',
      model_version: '3',
      id: 'req-7',
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [2, 2], data: [0.25, 0.75, 1, 0] }],
    });
  });

  it('returns outputs in the order the request lists them', () => {
    const request: InferRequest = { inputs: [], outputs: ['label', 'probabilities'] };
    const response = encodeInferResponse(classifier, request, [probabilities, label]);
    expect(response.outputs.map((output) => output.name)).toEqual(['label', 'probabilities']);
  });

  it('writes the keys in the protocol order, so the answer is the same text whichever way it is built', () => {
    const request: InferRequest = {
      id: 'req-7',
      inputs: [],
      outputs: ['label', 'probabilities'],
      binaryOutputs: ['probabilities'],
    };
    expect(JSON.stringify(encodeInferResponse(classifier, request, [label, probabilities], []))).toBe(
      '{"model_name":"classifier","model_version":"3","id":"req-7","outputs":[' +
        '{"name":"label","datatype":"INT64","shape":[2],"data":[1,0]},' +
        '{"name":"probabilities","datatype":"FP32","shape":[2,2],"parameters":{"binary_data_size":16}}]}',
    );
  });

  it('leaves out the id when the request had none', () => {
    const response = encodeInferResponse(classifier, { inputs: [], outputs: ['label'] }, [label]);
    expect(response).not.toHaveProperty('id');
    expect(JSON.stringify(response)).not.toContain('"id"');
  });

  it('fails as a server error, not a client error, when the model did not produce a requested output', () => {
    const error = thrownBy(() => encodeInferResponse(classifier, { inputs: [], outputs: ['probabilities'] }, [label]));
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(InferenceError);
  });
});
