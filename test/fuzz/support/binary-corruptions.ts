/** Binary tensor data requests broken in one way each, and what the answer must then say. */
import fc from 'fast-check';
import type { EncodedRequest, InferCase } from './infer-cases';
import { binaryTensor, encodeInferCase, requestJson } from './infer-cases';

export type Corruption =
  | { readonly kind: 'header-length'; readonly value: string }
  | { readonly kind: 'header-length-off'; readonly by: number }
  | { readonly kind: 'cut'; readonly bytes: number }
  | { readonly kind: 'extend'; readonly bytes: number }
  | { readonly kind: 'size-off'; readonly by: number };

export const corruption: fc.Arbitrary<Corruption> = fc.oneof(
  fc.record({
    kind: fc.constant('header-length' as const),
    value: fc.constantFrom('x', '-1', '', ' ', '1e3', '0x10', '+5', '1.5', '99999999999999999999', '0', '1,2'),
  }),
  fc.record({
    kind: fc.constant('header-length-off' as const),
    by: fc.integer({ min: -3, max: 5 }).filter((by) => by !== 0),
  }),
  fc.record({ kind: fc.constant('cut' as const), bytes: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ kind: fc.constant('extend' as const), bytes: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ kind: fc.constant('size-off' as const), by: fc.integer({ min: -2, max: 2 }).filter((by) => by !== 0) }),
);

export interface CorruptRequest extends EncodedRequest {
  readonly mentions: readonly RegExp[];
}

const HEADER = /Inference-Header-Content-Length|header/i;

/** The case's binary request with the corruption applied; the case must have at least one binary input. */
export function corrupt(request: InferCase, change: Corruption): CorruptRequest | undefined {
  const encoded = encodeInferCase(request);
  const json = Buffer.from(JSON.stringify(requestJson(request)), 'utf8');
  const withLength = (value: string) =>
    encoded.headers.map(([name, old]): [string, string] => [
      name,
      name === 'Inference-Header-Content-Length' ? value : old,
    ]);
  switch (change.kind) {
    case 'header-length':
      return { ...encoded, headers: withLength(change.value), mentions: [HEADER] };
    case 'header-length-off':
      return { ...encoded, headers: withLength(String(json.byteLength + change.by)), mentions: [/./] };
    case 'cut': {
      const binaryBytes = encoded.body.byteLength - json.byteLength;
      if (binaryBytes < change.bytes) return undefined;
      return {
        ...encoded,
        body: encoded.body.subarray(0, encoded.body.byteLength - change.bytes),
        mentions: [/bytes|binary/],
      };
    }
    case 'extend':
      return {
        ...encoded,
        body: Buffer.concat([encoded.body, Buffer.alloc(change.bytes, 1)]),
        mentions: [/bytes|binary/],
      };
    case 'size-off': {
      const header = requestJson(request);
      const input = (header.inputs as { parameters?: { binary_data_size: number } }[]).find(
        (candidate) => candidate.parameters !== undefined,
      );
      if (input?.parameters === undefined || input.parameters.binary_data_size + change.by < 0) return undefined;
      input.parameters.binary_data_size += change.by;
      const newJson = Buffer.from(JSON.stringify(header), 'utf8');
      const chunks = request.inputs.filter((candidate) => candidate.binary).map(binaryTensor);
      return {
        ...encoded,
        headers: withLength(String(newJson.byteLength)),
        body: Buffer.concat([newJson, ...chunks]),
        mentions: [/bytes|binary|binary_data_size/],
      };
    }
  }
}

/** The case with its first input sent as binary tensor data. */
export function withFirstInputBinary(request: InferCase): InferCase {
  return {
    ...request,
    inputs: request.inputs.map((input, index) => (index === 0 ? { ...input, binary: true } : input)),
  };
}
