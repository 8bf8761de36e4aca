/** Arbitraries for valid inference requests, JSON and binary, over every datatype and the demo models. */
import fc from 'fast-check';
import { bytesElements, rawBytes } from '../../support/binary-tensor-data';
import type { FuzzModel, FuzzTensorSpec } from './fuzz-models';
import { type Element, elementOf, feedArray, hasLoneSurrogate, type WireValue } from './tensor-values';

export interface TensorCase {
  readonly spec: FuzzTensorSpec;
  readonly shape: readonly number[];
  readonly elements: readonly Element[];
  /** Data nested to the shape (rank 2 and up) rather than flat. */
  readonly nested: boolean;
  /** Sent as binary tensor data after the JSON header instead of as JSON `data`. */
  readonly binary: boolean;
}

export interface OutputChoice {
  readonly name: string;
  /** The output's own `binary_data` parameter, when the request sets one. */
  readonly binary?: boolean;
}

/** A request the server must answer as ONNX Runtime does (or refuse, where the issue says a value cannot be carried). */
export interface InferCase {
  readonly model: FuzzModel;
  readonly versionInPath: boolean;
  readonly id?: string;
  /** Request parameters; `binary_data_output` is set from `binaryByDefault`. */
  readonly parameters?: Readonly<Record<string, WireValue>>;
  readonly binaryByDefault?: boolean;
  /** In the order the request lists them. */
  readonly inputs: readonly TensorCase[];
  /** Undefined: every output. */
  readonly outputs?: readonly OutputChoice[];
  /** Content-Type of a JSON request (a binary one is always application/octet-stream). */
  readonly contentType: string;
}

export interface CaseOptions {
  /** Largest first (batch) dimension. */
  readonly rows: number;
  /** BYTES elements; plain text by default. */
  readonly strings?: fc.Arbitrary<string>;
}

function shapeFor(spec: FuzzTensorSpec, sizes: CaseOptions): fc.Arbitrary<number[]> {
  if (spec.shape === 'any') return fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 });
  const rows = spec.shape[1] === 784 ? Math.min(sizes.rows, 2) : sizes.rows;
  return fc.tuple(
    ...spec.shape.map((dimension) => (dimension === -1 ? fc.integer({ min: 0, max: rows }) : fc.constant(dimension))),
  );
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, dimension) => product * dimension, 1);
}

function tensorCase(spec: FuzzTensorSpec, sizes: CaseOptions, binaryForm: boolean): fc.Arbitrary<TensorCase> {
  return shapeFor(spec, sizes).chain((shape) =>
    fc
      .record({
        spec: fc.constant(spec),
        shape: fc.constant(shape),
        elements: fc.array(elementOf(spec.datatype, sizes.strings), {
          minLength: sizeOf(shape),
          maxLength: sizeOf(shape),
        }),
        nested: shape.length >= 2 ? fc.boolean() : fc.constant(false),
        binary: binaryForm ? fc.boolean() : fc.constant(false),
      })
      .map((tensor) => (tensor.binary && spec.datatype === 'BYTES' ? asUtf8(tensor) : tensor)),
  );
}

/** A client's UTF-8 encoder replaces a lone surrogate with U+FFFD, so that is what a binary BYTES input carries. */
function asUtf8(tensor: TensorCase): TensorCase {
  const elements = tensor.elements.map((element) => {
    const text = Buffer.from(String(element.wire), 'utf8').toString('utf8');
    return { wire: text, feed: text };
  });
  return { ...tensor, elements };
}

/** Content types that must not change how a JSON body is read (API Gateway passes any non-binary type as text). */
export const JSON_CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'APPLICATION/JSON',
  'application/vnd.api+json',
  'multipart/form-data; boundary=x',
];

/** Request parameters that mean nothing to this server but that a client may send. */
const extraParameters = fc.dictionary(
  fc.constantFrom('priority', 'timeout', 'sequence_id', '__proto__', 'constructor', 'toString', 'x'),
  fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.boolean()),
  { maxKeys: 3 },
);

/** A valid inference request to one of `models`; `binaryForm` lets inputs travel as binary tensor data. */
export function inferCase(
  models: readonly FuzzModel[],
  sizes: CaseOptions,
  binaryForm: boolean,
): fc.Arbitrary<InferCase> {
  return fc.constantFrom(...models).chain((model) =>
    fc.record(
      {
        model: fc.constant(model),
        versionInPath: fc.boolean(),
        id: fc.string({ maxLength: 16 }),
        parameters: extraParameters,
        binaryByDefault: fc.boolean(),
        inputs: fc
          .tuple(...model.inputs.map((spec) => tensorCase(spec, sizes, binaryForm)))
          .chain((inputs) => fc.shuffledSubarray(inputs, { minLength: inputs.length, maxLength: inputs.length })),
        outputs: fc
          .shuffledSubarray([...model.outputs], { minLength: 1 })
          .chain((specs) =>
            fc.tuple(
              ...specs.map((spec) =>
                fc.record({ name: fc.constant(spec.name), binary: fc.boolean() }, { requiredKeys: ['name'] }),
              ),
            ),
          ),
        contentType: fc.constantFrom(...JSON_CONTENT_TYPES),
      },
      { requiredKeys: ['model', 'versionInPath', 'inputs', 'contentType'] },
    ),
  );
}

/** The outputs a case asks for, by name, and whether each comes back as binary tensor data. */
export function requestedOutputs(request: InferCase): { name: string; binary: boolean }[] {
  const byDefault = request.binaryByDefault ?? false;
  if (request.outputs === undefined || request.outputs.length === 0) {
    return request.model.outputs.map((spec) => ({ name: spec.name, binary: byDefault }));
  }
  return request.outputs.map((output) => ({ name: output.name, binary: output.binary ?? byDefault }));
}

/** Whether any part of the case goes as binary tensor data, which needs the Inference-Header-Content-Length. */
export function isBinaryForm(request: InferCase): boolean {
  return request.inputs.some((input) => input.binary);
}

function nest(values: readonly WireValue[], shape: readonly number[]): unknown[] {
  if (shape.length <= 1) return [...values];
  const [rows = 0, ...rest] = shape;
  const rowSize = sizeOf(rest);
  return Array.from({ length: rows }, (_, row) => nest(values.slice(row * rowSize, (row + 1) * rowSize), rest));
}

/** The JSON body (or the JSON header of a binary body) a client writes for this case. */
export function requestJson(request: InferCase): Record<string, unknown> {
  const parameters = {
    ...request.parameters,
    ...(request.binaryByDefault !== undefined && { binary_data_output: request.binaryByDefault }),
  };
  return {
    ...(request.id !== undefined && { id: request.id }),
    ...(Object.keys(parameters).length > 0 && { parameters }),
    inputs: request.inputs.map((input) => ({
      name: input.spec.name,
      shape: input.shape,
      datatype: input.spec.datatype,
      ...(input.binary
        ? { parameters: { binary_data_size: binaryTensor(input).byteLength } }
        : { data: input.nested ? nest(wireValues(input), input.shape) : wireValues(input) }),
    })),
    ...(request.outputs !== undefined && {
      outputs: request.outputs.map((output) => ({
        name: output.name,
        ...(output.binary !== undefined && { parameters: { binary_data: output.binary } }),
      })),
    }),
  };
}

function wireValues(input: TensorCase): WireValue[] {
  return input.elements.map((element) => element.wire);
}

/** A binary input's bytes: little-endian raw values, or length-prefixed UTF-8 for BYTES. */
export function binaryTensor(input: TensorCase): Buffer {
  const data = feedArray(input.spec.datatype, input.elements);
  return Array.isArray(data) ? bytesElements(data) : rawBytes(data as ArrayBufferView);
}

export interface EncodedRequest {
  readonly path: string;
  readonly headers: [string, string][];
  readonly body: Buffer;
  /** Whether API Gateway would deliver the body base64-encoded (a binary media type). */
  readonly binary: boolean;
}

/** The HTTP request a client sends for this case. */
export function encodeInferCase(request: InferCase): EncodedRequest {
  const path = `/v2/models/${request.model.name}${request.versionInPath ? '/versions/1' : ''}/infer`;
  const json = Buffer.from(JSON.stringify(requestJson(request)), 'utf8');
  const wantsBinary = requestedOutputs(request).some((output) => output.binary);
  const accept: [string, string][] = wantsBinary ? [['Accept', 'application/octet-stream']] : [];
  if (!isBinaryForm(request)) {
    return { path, headers: [['Content-Type', request.contentType], ...accept], body: json, binary: false };
  }
  const chunks = request.inputs.filter((input) => input.binary).map(binaryTensor);
  return {
    path,
    headers: [
      ['Content-Type', 'application/octet-stream'],
      ['Inference-Header-Content-Length', String(json.byteLength)],
      ...accept,
    ],
    body: Buffer.concat([json, ...chunks]),
    binary: true,
  };
}

/**
 * What the issue demands of the strings in a case: a NUL cannot reach ONNX Runtime intact, so the request must be
 * refused; a lone surrogate is either refused or answered unchanged; anything else is answered.
 */
export function stringVerdictOf(request: InferCase): { hasNul: boolean; hasLoneSurrogate: boolean } {
  const strings = request.inputs.flatMap((input) =>
    input.spec.datatype === 'BYTES' ? input.elements.map((element) => String(element.wire)) : [],
  );
  return {
    hasNul: strings.some((text) => text.includes('\u0000')),
    hasLoneSurrogate: strings.some(hasLoneSurrogate),
  };
}
