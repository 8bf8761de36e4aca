import {
  decodeBinaryTensorData,
  encodeBinaryTensorData,
  joinBinaryBody,
  splitBinaryBody,
} from '../../../lambda/protocol/binary-tensor-data';
import { BadRequestError } from '../../../lambda/protocol/errors';
import { decodeInferRequest, type InferRequest } from '../../../lambda/protocol/infer-request';
import { encodeInferResponse } from '../../../lambda/protocol/infer-response';
import type { Datatype, TensorData } from '../../../lambda/protocol/tensor';
import { bytesElements, rawBytes } from '../../support/binary-tensor-data';
import { classifier, label, probabilities, singleInputModel, thrownBy } from './models';

function expectBadRequest(action: () => unknown, ...fragments: string[]): void {
  const error = thrownBy(action);
  expect(error).toBeInstanceOf(BadRequestError);
  for (const fragment of fragments) expect((error as Error).message).toContain(fragment);
}

/** `bytes` placed `offset` bytes into a fresh buffer, so the view starts exactly there. */
function at(offset: number, bytes: Uint8Array): Uint8Array {
  const buffer = new Uint8Array(offset + bytes.byteLength);
  buffer.set(bytes, offset);
  return buffer.subarray(offset);
}

// Four elements of every fixed-size datatype, including extremes, NaN and a half-precision bit pattern.
const FIXED: [Exclude<Datatype, 'BYTES'>, TensorData][] = [
  ['BOOL', new Uint8Array([1, 0, 0, 1])],
  ['UINT8', new Uint8Array([0, 1, 254, 255])],
  ['INT8', new Int8Array([-128, -1, 0, 127])],
  ['UINT16', new Uint16Array([0, 1, 65534, 65535])],
  ['INT16', new Int16Array([-32768, -1, 0, 32767])],
  ['FP16', new Uint16Array([0x0000, 0x3c00, 0xc000, 0x7e00])],
  ['UINT32', new Uint32Array([0, 1, 4294967294, 4294967295])],
  ['INT32', new Int32Array([-2147483648, -1, 0, 2147483647])],
  ['FP32', new Float32Array([0, -1.5, Number.NaN, 3.4028234663852886e38])],
  ['UINT64', new BigUint64Array([0n, 1n, 2n ** 63n, 2n ** 64n - 1n])],
  ['INT64', new BigInt64Array([-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n])],
  ['FP64', new Float64Array([0, -1.5, Math.PI, Number.NEGATIVE_INFINITY])],
];

describe('decodeBinaryTensorData', () => {
  it.each(FIXED)('decodes %s from its little-endian bytes', (datatype, values) => {
    expect(decodeBinaryTensorData('x', datatype, [2, 2], at(0, rawBytes(values as ArrayBufferView)))).toEqual(values);
  });

  it.each(FIXED)('views %s in place when its offset is a multiple of the element size', (datatype, values) => {
    const bytes = at(8, rawBytes(values as ArrayBufferView));
    const decoded = decodeBinaryTensorData('x', datatype, [4], bytes) as ArrayBufferView;
    expect(decoded.buffer).toBe(bytes.buffer);
    expect(decoded.byteOffset).toBe(8);
  });

  it.each(FIXED.filter(([datatype]) => !['BOOL', 'UINT8', 'INT8'].includes(datatype)))(
    'copies %s to an aligned array when its offset is not a multiple of the element size',
    (datatype, values) => {
      const bytes = at(1, rawBytes(values as ArrayBufferView));
      const decoded = decodeBinaryTensorData('x', datatype, [4], bytes) as ArrayBufferView;
      expect(decoded.buffer).not.toBe(bytes.buffer);
      expect(decoded).toEqual(values);
    },
  );

  it('decodes BYTES elements from their 4-byte lengths and UTF-8 bytes', () => {
    const strings = ['', 'a', 'héllo', '日本'];
    expect(decodeBinaryTensorData('x', 'BYTES', [2, 2], at(3, bytesElements(strings)))).toEqual(strings);
  });

  it('keeps a leading EF BB BF as the character U+FEFF, not a byte order mark to drop', () => {
    const element = Buffer.from([4, 0, 0, 0, 0xef, 0xbb, 0xbf, 0x61]);
    expect(decodeBinaryTensorData('x', 'BYTES', [1], element)).toEqual(['\ufeffa']);
  });

  it('decodes an empty tensor from no bytes', () => {
    expect(decodeBinaryTensorData('x', 'FP32', [0, 4], new Uint8Array(0))).toEqual(new Float32Array(0));
    expect(decodeBinaryTensorData('x', 'BYTES', [0], new Uint8Array(0))).toEqual([]);
  });

  it.each<[string, Datatype, number[], Uint8Array, string[]]>([
    [
      'fewer bytes than the shape needs',
      'FP32',
      [2, 2],
      new Uint8Array(12),
      ['input "x"', 'binary_data_size is 12 bytes', 'shape [2, 2] of FP32 needs 16 (4 elements × 4 bytes)'],
    ],
    ['more bytes than the shape needs', 'INT64', [1], new Uint8Array(9), ['is 9 bytes', 'needs 8']],
    ['a BOOL byte other than 0 or 1', 'BOOL', [3], new Uint8Array([1, 0, 2]), ['BOOL element 2 is the byte 2']],
    [
      'a BYTES length cut short',
      'BYTES',
      [2],
      Buffer.concat([bytesElements(['ab']), Buffer.from([1, 0])]),
      ['BYTES element 1 starts at byte 6', 'only 2 of binary_data_size 8 remain'],
    ],
    [
      'a BYTES element longer than the data',
      'BYTES',
      [1],
      Buffer.from([9, 0, 0, 0, 0x61]),
      ['BYTES element 0 declares 9 bytes, but only 1'],
    ],
    [
      'fewer BYTES elements than the shape',
      'BYTES',
      [3],
      bytesElements(['a', 'b']),
      ['holds 2 BYTES elements', 'needs 3'],
    ],
    ['more BYTES elements than the shape', 'BYTES', [1], bytesElements(['a', 'b']), ['needs 1 BYTES elements']],
    [
      'BYTES that are not UTF-8',
      'BYTES',
      [1],
      Buffer.from([2, 0, 0, 0, 0xc3, 0x28]),
      ['BYTES element 0 is not valid UTF-8'],
    ],
    [
      'a BYTES element with a NUL byte',
      'BYTES',
      [2],
      Buffer.concat([bytesElements(['a']), Buffer.from([3, 0, 0, 0, 0x61, 0x00, 0x62])]),
      ['BYTES element 1 holds a NUL byte at byte 1', 'ONNX Runtime string tensors cannot carry'],
    ],
  ])('rejects %s', (_case, datatype, shape, bytes, fragments) => {
    expectBadRequest(() => decodeBinaryTensorData('x', datatype, shape, bytes), ...fragments);
  });
});

describe('encodeBinaryTensorData', () => {
  it.each(FIXED)('encodes %s as a view of the tensor memory that decodes back unchanged', (datatype, values) => {
    const bytes = encodeBinaryTensorData({ name: 'y', datatype, shape: [4], data: values });
    expect(bytes.buffer).toBe((values as ArrayBufferView).buffer);
    expect(decodeBinaryTensorData('y', datatype, [4], bytes)).toEqual(values);
  });

  it('encodes BYTES as a 4-byte little-endian length and the UTF-8 bytes of each element', () => {
    const strings = ['', 'a', 'héllo'];
    const bytes = encodeBinaryTensorData({ name: 'y', datatype: 'BYTES', shape: [3], data: strings });
    expect(Buffer.from(bytes)).toEqual(bytesElements(strings));
    expect(Buffer.from(bytes.subarray(0, 9))).toEqual(Buffer.from([0, 0, 0, 0, 1, 0, 0, 0, 0x61]));
  });
});

describe('splitBinaryBody', () => {
  it('splits the body at the JSON header length, tolerating surrounding spaces', () => {
    const body = Buffer.from('{"a":1}XYZ');
    const { header, binary } = splitBinaryBody(body, ' 7 ');
    expect(Buffer.from(header).toString()).toBe('{"a":1}');
    expect(Buffer.from(binary).toString()).toBe('XYZ');
  });

  it.each([
    ['a length that is not a number', 'abc', ['a decimal integer, got "abc"']],
    ['a negative length', '-1', ['a decimal integer, got "-1"']],
    ['a fractional length', '1.5', ['a decimal integer']],
    ['a length of 0, which would mean no JSON header', '0', ['is 0', 'needs a JSON header']],
    ['a length beyond the body', '11', ['is 11, but the body has only 10 bytes']],
  ])('rejects %s', (_case, value, fragments) => {
    expectBadRequest(() => splitBinaryBody(Buffer.from('{"a":1}XYZ'), value), ...fragments);
  });
});

describe('decodeInferRequest with binary data', () => {
  const features = new Float32Array([1, 2, 3, 4, 5, 6]);
  const ids = new BigInt64Array([7n, 8n]);

  it('takes binary inputs in request order and JSON inputs from "data", in one request', () => {
    // ids comes first in the request, so its 16 bytes come first, although the model lists features first.
    const request = decodeInferRequest(
      {
        inputs: [
          { name: 'ids', shape: [2], datatype: 'INT64', parameters: { binary_data_size: 16 } },
          { name: 'features', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] },
        ],
      },
      classifier,
      { binaryData: at(0, rawBytes(ids)) },
    );
    expect(request.inputs).toEqual([
      { name: 'features', datatype: 'FP32', shape: [2, 3], data: features },
      { name: 'ids', datatype: 'INT64', shape: [2], data: ids },
    ]);
  });

  it('reads consecutive binary inputs at their running offsets', () => {
    const request = decodeInferRequest(
      {
        inputs: [
          { name: 'features', shape: [2, 3], datatype: 'FP32', parameters: { binary_data_size: 24 } },
          { name: 'ids', shape: [2], datatype: 'INT64', parameters: { binary_data_size: 16 } },
        ],
      },
      classifier,
      { binaryData: at(0, Buffer.concat([rawBytes(features), rawBytes(ids)])) },
    );
    expect(request.inputs.map((input) => input.data)).toEqual([features, ids]);
  });

  it('keeps JSON-only requests exactly as they were, with or without an empty binary section', () => {
    const body = {
      inputs: [
        { name: 'features', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] },
        { name: 'ids', shape: [2], datatype: 'INT64', data: [7, 8] },
      ],
    };
    const expected = decodeInferRequest(body, classifier);
    expect(expected).toEqual({ inputs: expect.any(Array), outputs: ['label', 'probabilities'] });
    expect(decodeInferRequest(body, classifier, { binaryData: new Uint8Array(0) })).toEqual(expected);
  });

  const binaryX = (parameters: unknown, extra: Record<string, unknown> = {}) => ({
    inputs: [{ name: 'x', shape: [2], datatype: 'FP32', parameters, ...extra }],
  });

  it.each<[string, object, Uint8Array | undefined, string[]]>([
    [
      'binary_data_size without the Inference-Header-Content-Length header',
      binaryX({ binary_data_size: 8 }),
      undefined,
      ['input "x" has binary_data_size 8', 'no Inference-Header-Content-Length header'],
    ],
    [
      'an input with both "data" and binary_data_size',
      binaryX({ binary_data_size: 8 }, { data: [1, 2] }),
      new Uint8Array(8),
      ['input "x" has both "data" and "binary_data_size"'],
    ],
    ['a negative binary_data_size', binaryX({ binary_data_size: -8 }), new Uint8Array(8), ['number -8']],
    ['a fractional binary_data_size', binaryX({ binary_data_size: 1.5 }), new Uint8Array(8), ['number 1.5']],
    ['a string binary_data_size', binaryX({ binary_data_size: '8' }), new Uint8Array(8), ['the string "8"']],
    ['input parameters that are not an object', binaryX([8]), new Uint8Array(8), ['"parameters" must be an object']],
    [
      'a binary_data_size beyond the binary data',
      binaryX({ binary_data_size: 8 }),
      new Uint8Array(6),
      ['input "x": binary_data_size 8 needs bytes 0 to 8', 'only 6 bytes follow the JSON header'],
    ],
    [
      'binary data beyond what the inputs declare',
      binaryX({ binary_data_size: 8 }),
      new Uint8Array(12),
      ["12 bytes follow the JSON header, but the inputs' binary_data_size add up to 8", 'application/octet-stream'],
    ],
    [
      'a binary_data_size that does not fit the shape',
      binaryX({ binary_data_size: 4 }),
      new Uint8Array(4),
      ['input "x": binary_data_size is 4 bytes, but shape [2] of FP32 needs 8'],
    ],
    [
      'a binary input without a shape',
      { inputs: [{ name: 'x', datatype: 'FP32', parameters: { binary_data_size: 8 } }] },
      new Uint8Array(8),
      ['input "x" is missing "shape"'],
    ],
  ])('rejects %s', (_case, body, binaryData, fragments) => {
    expectBadRequest(() => decodeInferRequest(body, singleInputModel('FP32'), { binaryData }), ...fragments);
  });

  const json = { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] };
  const model = { ...classifier, inputs: singleInputModel('FP32').inputs };

  it.each<[string, object, string[] | undefined]>([
    ['no binary parameter', {}, undefined],
    [
      'binary_data on one output',
      { outputs: [{ name: 'label' }, { name: 'probabilities', parameters: { binary_data: true } }] },
      ['probabilities'],
    ],
    ['binary_data_output for all outputs', { parameters: { binary_data_output: true } }, ['label', 'probabilities']],
    [
      'binary_data_output for the requested outputs',
      { parameters: { binary_data_output: true }, outputs: [{ name: 'probabilities' }] },
      ['probabilities'],
    ],
    [
      'binary_data false overriding binary_data_output',
      {
        parameters: { binary_data_output: true },
        outputs: [{ name: 'label', parameters: { binary_data: false } }, { name: 'probabilities' }],
      },
      ['probabilities'],
    ],
  ])('picks binary outputs from %s', (_case, fields, binaryOutputs) => {
    expect(decodeInferRequest({ ...json, ...fields }, model).binaryOutputs).toEqual(binaryOutputs);
  });

  it.each<[string, object, string]>([
    [
      'a non-boolean binary_data_output',
      { parameters: { binary_data_output: 'yes' } },
      '"binary_data_output" must be true or false',
    ],
    [
      'a non-boolean binary_data',
      { outputs: [{ name: 'label', parameters: { binary_data: 1 } }] },
      'output "label": "binary_data" must be true or false, got number 1',
    ],
    [
      'output parameters that are not an object',
      { outputs: [{ name: 'label', parameters: true }] },
      'output "label": "parameters" must be an object',
    ],
  ])('rejects %s', (_case, fields, fragment) => {
    expectBadRequest(() => decodeInferRequest({ ...json, ...fields }, model), fragment);
  });
});

describe('encodeInferResponse with binary outputs', () => {
  const request: InferRequest = { inputs: [], outputs: ['label', 'probabilities'], binaryOutputs: ['probabilities'] };

  it('appends binary outputs as chunks with binary_data_size, and keeps the others as JSON data', () => {
    const chunks: Uint8Array[] = [];
    const response = encodeInferResponse(classifier, request, [probabilities, label], chunks);
    expect(response.outputs).toEqual([
      { name: 'label', datatype: 'INT64', shape: [2], data: [1, 0] },
      { name: 'probabilities', datatype: 'FP32', shape: [2, 2], parameters: { binary_data_size: 16 } },
    ]);
    expect(chunks).toEqual([rawBytes(probabilities.data as Float32Array)]);
  });

  it('answers every output as JSON for a caller that passes no chunk list', () => {
    const response = encodeInferResponse(classifier, request, [probabilities, label]);
    expect(response.outputs[1]).toEqual({
      name: 'probabilities',
      datatype: 'FP32',
      shape: [2, 2],
      data: [0.25, 0.75, 1, 0],
    });
  });

  it('joins the JSON header and the chunks, giving the header length', () => {
    const { body, headerLength } = joinBinaryBody({ outputs: [] }, [new Uint8Array([1, 2]), new Uint8Array([3])]);
    expect(headerLength).toBe('{"outputs":[]}'.length);
    expect(body.subarray(0, headerLength).toString()).toBe('{"outputs":[]}');
    expect([...body.subarray(headerLength)]).toEqual([1, 2, 3]);
  });
});
